// The rooms of src/ and the arrows allowed between them (docs/architecture.md). `npm test`
// runs this; a forbidden arrow fails the suite with the rule's name and the offending import.
/** @type {import('dependency-cruiser').IConfiguration} */
const room = (name) => `^src/${name}/`;
module.exports = {
  forbidden: [
    {
      name: 'model-imports-no-room',
      comment: 'model/ is the shared data every room speaks: it imports nothing of ours outside model/.',
      severity: 'error',
      from: { path: room('model') },
      to: { path: '^src/', pathNot: room('model') },
    },
    {
      name: 'only-cli-imports-cli',
      comment: 'The library knows no CLI: nothing outside src/cli (and no test of the library) imports it.',
      severity: 'error',
      from: { path: '^src/', pathNot: room('cli') },
      to: { path: room('cli') },
    },
    {
      name: 'probe-and-report-apart',
      comment: 'Measuring and presenting stay apart: probe/ and report/ meet only in model/.',
      severity: 'error',
      from: { path: room('(probe|report)') },
      to: { path: room('(probe|report)'), pathNot: '$1' },
    },
    {
      name: 'renderers-render-model-only',
      comment: 'report/ renders model values: it imports no room that measures, serves or deploys.',
      severity: 'error',
      from: { path: room('report') },
      to: { path: room('(probe|server|jupyter|upstream|deploy)') },
    },
    {
      name: 'jupyter-below-server',
      comment: 'The server drives Jupyter through its source; jupyter/ never imports the server.',
      severity: 'error',
      from: { path: room('jupyter') },
      to: { path: room('(server|probe|report|upstream|deploy)') },
    },
    {
      name: 'server-serves-only',
      comment: 'The server does not import the probes, renderers, deploy generators or the replay upstream.',
      severity: 'error',
      from: { path: room('server') },
      to: { path: room('(probe|report|deploy|upstream)') },
    },
    {
      name: 'upstream-and-deploy-stand-alone',
      comment: 'The replay upstream and the deploy generators use model/ only.',
      severity: 'error',
      from: { path: room('(upstream|deploy)') },
      to: { path: room('(probe|report|server|jupyter|cli)') },
    },
    {
      name: 'monitor-measures-with-probe',
      comment: 'monitor/ schedules probes and exports their metrics: it uses model/ and probe/ only (issue 29).',
      severity: 'error',
      from: { path: room('monitor') },
      to: { path: room('(report|server|jupyter|upstream|deploy)') },
    },
    {
      name: 'only-cli-drives-monitor',
      comment: 'The monitor is a command: only cli/ starts it; the probes know nothing of schedules.',
      severity: 'error',
      from: { path: '^src/', pathNot: room('(cli|monitor)') },
      to: { path: room('monitor') },
    },
    {
      name: 'no-cycles',
      comment: 'No runtime import cycle in src/ (a command module and its lazily loaded action may share a type).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only', 'dynamic-import'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // TypeScript 7 has no JS compiler API for dependency-cruiser to load: swc parses the sources,
    // type-only imports included (they count: a type is as much a dependency as a value).
    parser: 'swc',
    tsPreCompilationDeps: true,
    exclude: { path: '^(dist|node_modules)/' },
  },
};
