"""Email intake (SPEC §8): mailboxes polled over IMAP by the worker; a new mail opens a
complaint, a reply from the complaint's customer lands on its timeline, automatic mail is
recorded and ignored. See docs/email-intake.md."""
