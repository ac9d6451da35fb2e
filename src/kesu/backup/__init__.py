"""Backup and restore (docs/backup.md): ``kesu backup`` writes one tar archive holding the
database, every stored file and a manifest of counts and checksums; ``kesu restore`` puts
them back and proves, table by table and file by file, that nothing changed on the way."""
