"""Reusable test infrastructure: real servers on loopback and real worker processes.

- ``smtp.SmtpServer``: an aiosmtpd server on 127.0.0.1 that records what it receives.
- ``processes``: the test database made visible to child processes, and ``kesu worker``
  started as a child process.
- ``figures``: one-line fault-test figures, printed and appended to a JSON-lines file.
"""
