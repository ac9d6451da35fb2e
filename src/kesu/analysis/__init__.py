"""Analysis (SPEC §7): KPIs with their exact definitions, business volume, and the data of the
monthly analysis report. Everything is computed by the database; see docs/analysis.md."""
