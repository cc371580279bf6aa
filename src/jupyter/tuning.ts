/**
 * The two fixes of `--jupyter-tuning fixed` (docs/jupyter.md), as text: a server config file and a
 * kernel start-up cell. `stock` uses neither and so reproduces both measured delays.
 */
export type JupyterTuning = 'fixed' | 'stock';

export const JUPYTER_TUNINGS: readonly JupyterTuning[] = ['fixed', 'stock'];

/**
 * `jupyter_server_config.py` for the managed server's private JUPYTER_CONFIG_DIR.
 *
 * Jupyter Server leaves Nagle's algorithm on for the kernel websocket; with the client's delayed
 * ACKs the first output of a request sent soon after the previous exchange waits ~40 ms
 * (docs/platform-notes.md: back-to-back median 47.8 ms stock, 5.5 ms with TCP_NODELAY). Tornado re-enables
 * Nagle after the upgrade handshake, so the only place that sticks is the handler's `open()`.
 * The handler is `ZMQChannelsHandler` in jupyter_server 1.x (services/kernels/handlers.py) and
 * `KernelWebsocketHandler` in 2.x (services/kernels/websocket.py); the file wraps whichever exists.
 * It prints one line to the server's log so a test can see that it loaded.
 */
export const NODELAY_SERVER_CONFIG = `# Written by notebook-stream (--jupyter-tuning fixed): TCP_NODELAY on the kernel websocket.
# Tornado turns Nagle back on after the websocket upgrade, so set it inside the handler's open().
import importlib


def _nbs_wrap_open(cls):
    original = cls.open
    if getattr(original, "_nbs_nodelay", False):
        return False

    def open(self, *args, **kwargs):
        try:
            self.set_nodelay(True)
        except Exception:  # a closed stream: the original open() reports it
            pass
        return original(self, *args, **kwargs)

    open._nbs_nodelay = True
    cls.open = open
    return True


_nbs_patched = []
for _module, _name in (
    ("jupyter_server.services.kernels.handlers", "ZMQChannelsHandler"),  # jupyter_server 1.x
    ("jupyter_server.services.kernels.websocket", "KernelWebsocketHandler"),  # jupyter_server 2.x
):
    try:
        _cls = getattr(importlib.import_module(_module), _name)
    except (ImportError, AttributeError):
        continue
    if _nbs_wrap_open(_cls):
        _nbs_patched.append(_name)

import sys as _sys

print("notebook-stream: TCP_NODELAY set in open() of " + (", ".join(_nbs_patched) or "nothing"), file=_sys.stderr)
`;

/**
 * The silent start-up cell run once per kernel: ipykernel's `OutStream.flush_interval` is 0.2 s,
 * so `print()` without flush in a loop arrives in 200 ms lumps; 0.01 s sends each line on its own
 * (docs/platform-notes.md: 8 prints 50 ms apart, median 2 messages stock, 8 of 8 fixed). Run with
 * `silent: true`: no execute_input, no output, no execution count.
 */
export const FLUSH_INTERVAL_CELL = `import sys as _nbs_sys
for _nbs_s in (_nbs_sys.stdout, _nbs_sys.stderr):
    if hasattr(_nbs_s, "flush_interval"):
        _nbs_s.flush_interval = 0.01
del _nbs_s, _nbs_sys
`;
