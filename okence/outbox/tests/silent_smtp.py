"""A mail server that accepts connections and never answers: the outage that is worst to wait on.

A plain module (no Django), used by the outbox tests and by bench/mail_outage.py. Each accepted
connection is held open until the client gives up and closes it; ``connections`` counts them,
so a test can tell how many deliveries tried.
"""

import contextlib
import socket
import threading


class SilentSmtpServer:
    def __init__(self, host: str = "127.0.0.1"):
        self.listener = socket.create_server((host, 0), backlog=128)
        self.host, self.port = self.listener.getsockname()[:2]
        self.connections = 0
        self.lock = threading.Lock()
        self.accepting = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "SilentSmtpServer":
        self.accepting.start()
        return self

    def __exit__(self, *exc_info) -> None:
        with contextlib.suppress(OSError):  # wakes the blocked accept(), which then fails
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._hold, args=(connection,), daemon=True).start()

    @staticmethod
    def _hold(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            while connection.recv(1024):  # never a greeting; wait for the client to leave
                pass

    def mailer_settings(self, *, connect_timeout: float, timeout: float = 30) -> dict:
        """MAILERS sending here through Okence's SMTP backend."""
        return {
            "default": {
                "BACKEND": "okence.outbox.backends.SmtpBackend",
                "OPTIONS": {
                    "host": self.host,
                    "port": self.port,
                    "connect_timeout": connect_timeout,
                    "timeout": timeout,
                },
            }
        }
