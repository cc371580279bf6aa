/**
 * What the managed Jupyter Server and its kernels inherit from serve (docs/jupyter.md, "Secrets"):
 * only the variables below, which locate programs, libraries, locales and Python environments,
 * plus the names passed with `--jupyter-env`. Everything else (OPENAI_API_KEY,
 * NOTEBOOK_STREAM_TOKEN, cloud credentials, proxy URLs with passwords) stays in serve: a cell that
 * prints `os.environ` must not show them (issue 25 item 4).
 */
export const MANAGED_ENV_NAMES: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TZ',
  'TMPDIR',
  'TERM',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONIOENCODING',
  'VIRTUAL_ENV',
  'CONDA_PREFIX',
  'CONDA_DEFAULT_ENV',
  'JUPYTER_PATH',
  'JUPYTER_DATA_DIR',
  'IPYTHONDIR',
  'LD_LIBRARY_PATH',
  'XDG_CACHE_HOME',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'CUDA_VISIBLE_DEVICES',
  'OMP_NUM_THREADS',
  'MPLBACKEND',
  'MPLCONFIGDIR',
];

/** A name or a `PREFIX*` pattern, as `--jupyter-env` takes them. */
export const ENV_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

function matches(name: string, patterns: readonly string[]): boolean {
  for (const p of patterns) {
    if (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p) return true;
  }
  return false;
}

/** The environment the managed server starts with: `base` filtered by the rule and `pass`. */
export function managedEnvironment(base: NodeJS.ProcessEnv, pass: readonly string[] = []): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && (matches(name, MANAGED_ENV_NAMES) || matches(name, pass))) out[name] = value;
  }
  return out;
}
