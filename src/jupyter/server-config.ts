import { NODELAY_SERVER_CONFIG, type JupyterTuning } from './tuning.js';

/**
 * The part of the managed server's `jupyter_server_config.py` that every tuning gets: the token
 * leaves the environment, and the server ends with serve however serve dies (docs/jupyter.md,
 * "Processes"; issue 25 items 4 and 5).
 *
 * - The token arrives in JUPYTER_TOKEN (never argv) and is set as the server's token here, then
 *   removed from `os.environ`: kernels are started with a copy of the server's environment.
 * - A daemon thread polls `os.getppid()` every 0.5 s: serve is the parent, and after `kill -9` of
 *   serve the server is re-parented. It then stops itself with SIGTERM (jupyter_server shuts its
 *   kernels down), and after 6 s kills what is left. At exit it kills any kernel whose command line
 *   names our runtime directory (their connection files) and removes serve's private directory,
 *   which holds the token. Polling, not PR_SET_PDEATHSIG: that fires when the spawning *thread*
 *   ends and is Linux-only.
 */
export const LIFECYCLE_SERVER_CONFIG = `# Written by notebook-stream: the managed server's token and lifetime (docs/jupyter.md).
import os as _nbs_os

_nbs_token = _nbs_os.environ.pop("JUPYTER_TOKEN", None)
if _nbs_token is not None:
    try:
        import jupyter_server as _nbs_js

        _nbs_major = int(_nbs_js.__version__.split(".")[0])
    except Exception:
        _nbs_major = 1
    if _nbs_major >= 2:
        c.IdentityProvider.token = _nbs_token
    else:
        c.ServerApp.token = _nbs_token

_nbs_parent = int(_nbs_os.environ.pop("NBS_PARENT_PID", "0") or "0")
_nbs_base = _nbs_os.environ.pop("NBS_JUPYTER_BASE", "")
_nbs_runtime = _nbs_os.environ.get("JUPYTER_RUNTIME_DIR", "")


def _nbs_cleanup():
    import shutil
    import signal

    if _nbs_runtime and _nbs_os.path.isdir("/proc"):
        for _e in _nbs_os.listdir("/proc"):
            if not _e.isdigit() or int(_e) == _nbs_os.getpid():
                continue
            try:
                with open("/proc/%s/cmdline" % _e, "rb") as _f:
                    _cmd = _f.read().decode("utf-8", "replace")
            except OSError:
                continue
            if _nbs_runtime in _cmd:
                try:
                    _nbs_os.kill(int(_e), signal.SIGKILL)
                except OSError:
                    pass
    if _nbs_base:
        shutil.rmtree(_nbs_base, ignore_errors=True)


def _nbs_watch_parent():
    import atexit
    import signal
    import sys
    import time

    while _nbs_os.getppid() == _nbs_parent:
        time.sleep(0.5)
    try:  # stderr was a pipe to serve: now broken
        print("notebook-stream: serve (pid %d) is gone: stopping this server and its kernels" % _nbs_parent, file=sys.stderr)
    except Exception:
        pass
    atexit.register(_nbs_cleanup)
    _nbs_os.kill(_nbs_os.getpid(), signal.SIGTERM)
    time.sleep(6)
    _nbs_cleanup()
    _nbs_os._exit(1)


if _nbs_parent > 0:
    import threading as _nbs_threading

    _nbs_threading.Thread(target=_nbs_watch_parent, name="notebook-stream-parent-watch", daemon=True).start()
`;

/** The whole config file of a managed server: the lifecycle part, plus TCP_NODELAY with `fixed`. */
export function managedServerConfig(tuning: JupyterTuning): string {
  return tuning === 'fixed' ? `${LIFECYCLE_SERVER_CONFIG}\n\n${NODELAY_SERVER_CONFIG}` : LIFECYCLE_SERVER_CONFIG;
}
