import { Command, Option } from 'commander';
import { demo, down, status, up, processIO, type CommandIO } from './commands/index.js';
import type { DemoOptions } from './commands/demo.js';
import type { UpOptions } from './commands/up.js';
import { drill, type DrillCommandOptions } from './commands/drill.js';
import { failover } from './commands/failover.js';
import { switchover } from './commands/switchover.js';
import {
  collectSetting,
  parseMs,
  parsePositive,
  parseReaders,
  parseRegions,
  intInRange,
} from './commands/options.js';

function topologyOptions(cmd: Command, defaultRegions: number): Command {
  return cmd
    .addOption(
      new Option('--regions <n>', 'regions in total: 1 primary + up to 5 secondaries (1..6)')
        .argParser(parseRegions)
        .default(defaultRegions),
    )
    .addOption(
      new Option('--readers <n>', 'reader replicas per region (0..15)')
        .argParser(parseReaders)
        .default(0),
    )
    .addOption(
      new Option('--wan-latency <duration>', 'one-way delay of every inter-region link, e.g. 40ms')
        .argParser(parseMs('--wan-latency'))
        .default(0, '0ms'),
    )
    .addOption(
      new Option('--jitter <duration>', 'jitter around the WAN delay, e.g. 5ms')
        .argParser(parseMs('--jitter'))
        .default(0, '0ms'),
    )
    .option('--no-agents', 'start PostgreSQL, NATS, proxies and endpoints only (no region agents)')
    .addOption(
      new Option(
        '--pg <name=value>',
        'PostgreSQL setting for every instance (repeatable), e.g. fsync=off',
      ).argParser(collectSetting),
    )
    .option('--keep-files', 'keep the topology temp dir (logs, data) after stopping');
}

/** The `borealis` command line (commander). */
export function buildProgram(io: CommandIO = processIO): Command {
  const program = new Command('borealis')
    .description(
      'Borealis: a local multi-region PostgreSQL global database (regions replicated over NATS JetStream)',
    )
    .showHelpAfterError()
    .exitOverride();

  topologyOptions(
    program
      .command('up')
      .description('start a local topology and run until Ctrl-C / SIGTERM / "borealis down"'),
    6,
  )
    .option('--json', 'print one JSON line describing the topology to stdout when ready')
    .option('--prometheus', 'also start a real Prometheus scraping every agent and the control plane, Borealis rules loaded; prints its URL')
    .action(async (o: UpOptions) => up(o, io));

  program
    .command('status')
    .description("describe the running topology and show each region agent's status")
    .option('--json', 'print the topology JSON line (as "up --json") to stdout')
    .action(async (o: { json?: boolean }) => status(o, io));

  program
    .command('down')
    .description('stop the running topology and remove everything it created')
    .addOption(
      new Option('--timeout <seconds>', 'wait this long for the supervisor to exit')
        .argParser(intInRange('--timeout', 1, 3600))
        .default(60),
    )
    .action(async (o: { timeout: number }) => down({ timeoutSeconds: o.timeout }, io));

  topologyOptions(
    program
      .command('demo')
      .description(
        '1 primary + 5 secondaries, a mixed write workload with a live per-region table, a convergence check, then clean up',
      ),
    6,
  )
    .addOption(
      new Option('--duration <seconds>', 'workload duration')
        .argParser(parsePositive('--duration'))
        .default(30),
    )
    .addOption(
      new Option('--clients <n>', 'client connections of the workload')
        .argParser(intInRange('--clients', 1, 64))
        .default(4),
    )
    .addOption(
      new Option('--rate <tx/s>', 'target transactions per second of the workload')
        .argParser(parsePositive('--rate'))
        .default(200),
    )
    .addOption(
      new Option(
        '--converge-timeout <seconds>',
        'time allowed for regions to converge after the workload',
      )
        .argParser(parsePositive('--converge-timeout'))
        .default(60),
    )
    .addOption(
      new Option(
        '--k6 <scenario>',
        'run a k6 scenario of test/k6 (smoke, read-heavy, write-forwarding, mixed-oltp, failover) against the Data API instead of the built-in workload',
      ),
    )
    .action(async (o: DemoOptions) => demo(o, io));

  program
    .command('switchover')
    .description('planned switchover (RPO 0): fence the primary, promote REGION, move the writer endpoint, rejoin the old primary')
    .requiredOption('--to <region>', 'the secondary region to promote')
    .option('--json', 'print the promotion report as one JSON line')
    .action(async (o: { to: string; json?: boolean }) => switchover(o, io));

  program
    .command('failover')
    .description('unplanned failover: promote the most advanced reachable secondary (refused past the RPO guard unless --force)')
    .option('--to <region>', 'promote this region (refused if another one applied more, unless --force)')
    .option('--force', 'promote even past the RPO guard or when --to names a less advanced region')
    .option('--json', 'print the promotion report as one JSON line')
    .action(async (o: { to?: string; force?: boolean; json?: boolean }) => failover(o, io));

  program
    .command('drill')
    .description('regional-outage drill under a numbered write workload: prints RTO (with phases) and RPO')
    .addOption(new Option('--type <type>', 'switchover or failover').choices(['switchover', 'failover']).makeOptionMandatory())
    .addOption(new Option('--fault <fault>', 'failover drills: kill -9, freeze (SIGSTOP) or partition the region').choices(['kill', 'freeze', 'partition']))
    .option('--region <region>', 'failover: the region to fault (the primary); switchover: the target')
    .option('--to <region>', 'failover: promote this region')
    .option('--force', 'failover: promote past the RPO guard')
    .addOption(new Option('--writes-per-sec <n>', 'prober writes per second').argParser(parsePositive('--writes-per-sec')).default(50))
    .option('--json', 'print the drill result as one JSON line')
    .option('--report <file.html>', 'also write the HTML drill report')
    .action(async (o: DrillCommandOptions) => drill(o, io));

  return program;
}
