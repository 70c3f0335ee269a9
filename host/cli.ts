#!/usr/bin/env node
// `ffedge`: stream sensor data to an ff-edge device (a board on a serial port,
// or the virtual device by default), train it on-device, and look at the
// goodness logs that come back. Each command lives in host/cli/; this file only
// declares them. Results go to stdout, progress and notices to stderr.

import { Command, CommanderError, Option } from 'commander';
import { ALGORITHMS } from './learner/config.js';
import { checkpointGetCommand, checkpointPutCommand } from './cli/checkpoint.js';
import { addDeviceOptions } from './cli/device.js';
import { describeError, EXIT_CODES_HELP, ExitCode, exitCodeFor } from './cli/errors.js';
import { logsCsvCommand, logsLiveCommand, logsSummaryCommand } from './cli/logs.js';
import { portsCommand } from './cli/ports.js';
import { streamCommand, type StreamFlags } from './cli/stream.js';
import { continualCommand, type ContinualFlags } from './cli/continual.js';
import { SCENARIOS } from './continual/scenarios.js';
import { RULES, STRATEGIES } from './continual/strategies.js';
import { budgetCommand, type BudgetFlags } from './cli/budget.js';
import { compareCommand } from './cli/compare.js';
import { exportCommand } from './cli/export.js';
import { recordCommand, type RecordFlags } from './cli/record.js';
import { evalCommand, type EvalFlags } from './cli/eval.js';
import { benchCommand, BENCHES } from './cli/bench.js';
import { addFleetCommand, fleetLiveCommand, requireLogFile } from './cli/fleet.js';
import { BUDGET_TARGETS } from './budget.js';
import { LOSSES, OVERLAYS } from './learner/config.js';
import { FLASH_TARGETS, flashCommand, type FlashFlags } from './cli/flash.js';
import { monitorCommand, resetCommand, type MonitorFlags } from './cli/monitor.js';
import { deviceStartCommand, deviceStatusCommand, deviceStopCommand } from './cli/device-daemon.js';

const EXAMPLES = `
Examples:
  ffedge stream                                   IMU gestures on the virtual device (no hardware)
  ffedge stream --source mnist --samples 5000 --eval-every 1000
  ffedge stream --source csv:readings.csv --layers 32,16 --epochs 5
  ffedge stream --port /dev/ttyACM0 --baud 115200 --source imu --encoding int8
  ffedge stream --device pty --lossy 0.01         the same over a real tty, with a noisy link
  ffedge continual                                split IMU gestures, one per task, fine-tune with ff
  ffedge continual --source mnist --strategies fine-tune,replay --rules ff,backprop
  ffedge continual --scenario domain-drift --drift rotate:30 --gradual 200
  ffedge logs summary out/stream-20250101-120000.jsonl
  ffedge logs live out/stream.jsonl --port 8080     then: ffedge stream --log out/stream.jsonl
  ffedge budget --target cortex-m4-qemu --layers 32,32 --inputs 64 --ram 65536
  ffedge stream --save-checkpoint model.ffck && ffedge export model.ffck --c-header model.h
  ffedge record --sensor /dev/ttyACM0 --label shake --out gestures.csv --duration 30
  ffedge eval model.ffck --source csv:readings.csv    accuracy of a saved model on the held-out rows
  ffedge compare --quick
  ffedge fleet --devices virtual:8 --split by-class:2   8 devices over MQTT, federated averaging
  ffedge ports`;

/** Where samples come from and how they are cut and evaluated: ffedge stream and ffedge eval. */
function addDataOptions(command: Command): Command {
  return command
    .option('--eval-samples <n>', 'held-out samples per evaluation (imu 500, mnist 1000, files: all held out)')
    .option('--eval-file <file>', 'csv/jsonl: evaluate on this file instead of holding out part of the source')
    .option('--holdout <fraction>', 'csv/jsonl: fraction held out for evaluation (default 0.2)')
    .option('--label-column <col>', "csv: label column name or index (default: last; 'none' = unlabelled); labels may be class words")
    .option('--delimiter <char>', 'csv: cell separator (default: detected among , ; and tab)')
    .option('--columns <list>', 'csv: input columns to use, by name or 0-based index, e.g. ax,ay,az (default: all but the label and timestamps)')
    .option('--drop <list>', 'csv: columns that are not inputs, by name or index')
    .option('--classes <n>', 'number of classes (default: from the source)')
    .option('--sensor-baud <n>', 'serial-sensor: baud rate of the sensor board (default 115200)')
    .option('--channels <n>', 'serial-sensor: numbers per reading, without the label (default: detected from the first lines)')
    .option('--window <n>', 'readings per sample: serial-sensor (default 32), or csv/jsonl rows per sample for one-reading-per-row files')
    .option('--hop <n>', 'rows/readings between the starts of two windows (default: --window, no overlap)')
    .option('--seed <n>', 'seed of data order and synthetic data', '1')
    .addOption(new Option('--predict <mode>', 'evaluate by summed goodness or by the softmax head').choices(['goodness', 'head']).default('goodness'));
}

function buildProgram(): Command {
  const program = new Command('ffedge')
    .description('Train neural networks on an ff-edge device with Forward-Forward, streaming samples over a serial link.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `${EXAMPLES}\n${EXIT_CODES_HELP}`);

  const stream = program
    .command('stream')
    .description('stream samples to the device, train on it, evaluate on held-out samples, log goodness per sample')
    .addOption(new Option('--source <spec>', 'imu | mnist | csv:FILE | jsonl:FILE | serial-sensor:PORT').default('imu'))
    .option('--samples <n>', 'stop after this many training samples (default: all epochs)')
    .option('--epochs <n>', 'passes over the training data', '1')
    .option('--eval-every <n>', 'evaluate every n >= 1 samples (default: only at the end)')
    .option('--train-size <n>', 'imu: gesture windows generated per epoch (default 6000, as npm start)')
    .option('--sensor-timeout <seconds>', 'serial-sensor: a sensor quiet this long ends the run, which is then saved (default 10; 0 = wait forever)');
  addDataOptions(stream)
    .option('--config <file.json>', 'model as a JSON LearnerConfig; the flags below override it')
    .addOption(new Option('--algorithm <rule>', 'learning rule (default ff)').choices([...ALGORITHMS]))
    .option(
      '--layers <widths>',
      'hidden layer widths, e.g. 64,32 (default 64,32; mnist 500,500; pepita, pepita-mirror, backprop,\n' +
        'feedback-alignment: the last width is the output layer, one unit per class, e.g. 64,32,5)',
    )
    .addOption(
      new Option(
        '--overlay <mode>',
        'label one-hot: replace the first inputs, or prepend it (default: replace for mnist, prepend for sensor/file data)',
      ).choices([...OVERLAYS]),
    )
    .option('--lr <rate>', 'learning rate in (0, 1] (default 0.003 falling to a tenth over the run; mnist 0.001)')
    .option('--head-lr <rate>', 'learning rate of the softmax head, in (0, 1]')
    .option('--threshold <theta>', 'goodness threshold')
    .option('--temperature <t>', 'sigmoid temperature')
    .addOption(new Option('--optimizer <name>').choices(['adam', 'sgd']))
    .addOption(new Option('--goodness <fn>').choices(['sum-squares', 'mean-squares']))
    .addOption(
      new Option('--negatives <mode>', 'how the device makes negatives (default hard for ff, hebbian-ff, backprop-ff; mnist random)').choices([
        'random',
        'hard',
        'hybrid',
      ]),
    )
    .addOption(new Option('--loss <name>', 'threshold: FF per row (Hinton 2022); symba: per pos/neg pair (Lee & Song 2023)').choices([...LOSSES]))
    .option('--peer-weight <w>', 'peer normalisation strength')
    .option('--decay-steps <n>', 'learning rates fall linearly over n steps ...')
    .option('--final-rate <f>', '... to this fraction')
    .option('--model-seed <n>', 'seed of the weight initialisation')
    .option('--skip-first-layer', 'predict without layer 1 (Hinton 2022)')
    .option('--log <file.jsonl>', 'goodness log (default out/stream-<time>.jsonl); an existing log is refused without --append')
    .option('--append', 'add this run to an existing --log')
    .option('--plot <file.svg>', 'SVG plot (default: the log path with .svg)')
    .option('--save-checkpoint <file>', 'download the trained weights to a file at the end')
    .option('--load-checkpoint <file>', 'load weights from a file before training')
    .option(
      '--snapshot-every <n>',
      "survive device resets: snapshot the device's whole state every n samples, and after a reset\n" +
        'restore it and train the samples since again (exact: same weights as without the reset)',
    )
    .option('--snapshot-seconds <s>', '... or every s seconds of training, whichever comes first (turns recovery on too)')
    .option('--max-resets <k>', 'with recovery: give up after k device resets (default 3)')
    .option('-q, --quiet', 'no progress output');
  addDeviceOptions(stream).action(async (flags: StreamFlags) => streamCommand(flags));

  const continual = program
    .command('continual')
    .description('continual learning: a scenario of tasks (new classes, drift, recurrence) for strategies x rules; R matrix, ACC/BWT/FWT, prequential accuracy')
    .addOption(new Option('--scenario <name>', SCENARIOS.join(' | ')).default('class-incremental'))
    .addOption(new Option('--source <spec>', 'imu | mnist | csv:FILE | jsonl:FILE | serial-sensor:PORT').default('imu'))
    .option('--tasks <groups>', 'class groups per task, e.g. 0,1/2,3/4 (default: classes in order, --classes-per-task each)')
    .option('--classes-per-task <n>', 'default 2 for 10+ classes (MNIST 5 x 2), else 1 (IMU: one gesture per task)')
    .option('--shuffle-classes', 'seeded class order instead of 0, 1, 2, ...')
    .option(
      '--drift <specs>',
      'domain-drift/recurring: one task per spec after a clean task: gain:K offset:B noise:S rotate:DEG[:x|y|z] permute (comma-separated)',
    )
    .option('--gradual <n>', 'domain drift mixes the new condition in over n samples (default 0 = abrupt)')
    .option('--samples-per-task <n>', "training samples per task (default: the task's rows once)")
    .option('--train-size <n>', 'imu: windows generated (default 2000); serial-sensor: windows captured (required)')
    .option('--eval-samples <n>', 'held-out samples (imu 500, mnist 1000 of 2,004)')
    .option('--holdout <fraction>', 'csv/jsonl/serial-sensor: fraction held out (default 0.2)')
    .option('--task-column <col>', "task-column: the column (csv name or index) or key (jsonl) naming each row's task (default task)")
    .option('--label-column <col>', 'csv: label column name or index (default: last)')
    .option('--strategies <list>', STRATEGIES.join(', '), 'fine-tune')
    .option('--rules <list>', RULES.join(', '), 'ff')
    .option('--replay-capacity <n>', 'replay buffer, samples (default 200)')
    .option('--replay-ratio <r>', 'replayed samples per streamed sample (default 1)')
    .addOption(new Option('--replay-mode <mode>').choices(['reservoir', 'class-balanced']))
    .addOption(new Option('--predict <mode>', 'prediction for evaluation and prequential scoring').choices(['goodness', 'head']).default('goodness'))
    .option('--window <n>', 'prequential window, samples (default 500)')
    .option('--seed <n>', 'seed of the scenario (task order, splits, noise)', '1')
    .option('--config <file.json>', 'model as a JSON LearnerConfig; the flags below override it')
    .option('--layers <widths>', 'hidden layer widths (default 64,32; mnist 500,500); pepita/backprop add an output layer')
    .option('--lr <rate>', 'learning rate')
    .option('--head-lr <rate>', 'learning rate of the softmax head')
    .option('--threshold <theta>', 'goodness threshold')
    .addOption(new Option('--optimizer <name>').choices(['adam', 'sgd']))
    .option('--model-seed <n>', 'seed of the weight initialisation')
    .option('--out <dir>', 'results directory (default out/continual-<time>)')
    .option('-q, --quiet', 'no progress output');
  addDeviceOptions(continual).action(async (flags: ContinualFlags) => continualCommand(flags));

  program
    .command('record')
    .description('capture a labelled serial sensor stream to a CSV dataset (then: ffedge stream --source csv:FILE --window N)')
    .requiredOption('--sensor <port>', "the sensor board's serial port, printing one CSV reading per line")
    .requiredOption('--label <name>', 'class of everything recorded in this run, e.g. shake')
    .requiredOption('--out <file.csv>', 'CSV to write; an existing one with the same columns gets the new rows')
    .option('--sensor-baud <n>', 'baud rate of the sensor board (default 115200)')
    .option('--channels <n>', 'numbers per reading, without a label (default: detected from the first lines)')
    .option('--duration <seconds>', 'stop after this long (default: until Ctrl-C or the sensor goes quiet)')
    .option('--readings <n>', 'stop after this many readings')
    .option('--sensor-timeout <seconds>', 'a sensor quiet this long ends the recording (default 10; 0 = wait forever)')
    .option('-q, --quiet', 'no progress output')
    .action(async (flags: RecordFlags) => recordCommand(flags));

  addDeviceOptions(
    addDataOptions(
      program
        .command('eval')
        .description(
          'evaluation only: load a checkpoint (ffedge stream --save-checkpoint) on the device, predict held-out samples, print accuracy and the confusion matrix',
        )
        .argument('<checkpoint>', 'checkpoint file with its model config')
        .addOption(
          new Option('--source <spec>', 'imu | mnist | csv:FILE | jsonl:FILE: the held-out part, as ffedge stream splits it with the same --seed').default(
            'imu',
          ),
        ),
    ).option('-q, --quiet', 'no progress output'),
  ).action(async (file: string, flags: EvalFlags) => evalCommand(file, flags));

  program
    .command('budget')
    .description('flash and RAM of a model on a firmware target; exits 1 (with the numbers) when it does not fit')
    .addOption(new Option('--target <target>', 'firmware target').choices([...BUDGET_TARGETS]).makeOptionMandatory())
    .option('--layers <widths>', 'hidden layer widths (default 32,32)')
    .option('--inputs <n>', 'input values per sample (default 64)')
    .option('--classes <n>', 'classes (default 5)')
    .option('--config <file.json>', 'model as a JSON LearnerConfig; the flags override it')
    .addOption(new Option('--algorithm <rule>').choices([...ALGORITHMS]))
    .addOption(new Option('--optimizer <name>').choices(['adam', 'sgd']))
    .option('--ram <bytes>', 'RAM of the part (cortex-m4-qemu) or linear-memory limit (linux-edge, wasi)')
    .option('--stack <bytes>', 'cortex-m4-qemu: main stack of the build (default 16384)')
    .option('--replay <n>', 'an on-device replay buffer of n samples (its bytes are listed)')
    .addOption(new Option('--replay-mode <mode>', 'with --replay (default reservoir)').choices(['reservoir', 'class-balanced']))
    .option('--replay-ratio <r>', 'with --replay: replayed samples per streamed sample (default 1)')
    .addOption(new Option('--prequential <mode>', 'predict each sample before training on it').choices(['goodness', 'head']))
    .option('--drift', 'on-device Page-Hinkley drift detection, as `ffedge continual --strategies replay+detection`')
    .option('--json', 'print JSON')
    .action(async (flags: BudgetFlags) => {
      process.exitCode = await budgetCommand(flags);
    });

  program
    .command('compare')
    .description('train every learning rule on the same data, seed and memory budget; one table (markdown + JSON), CKA, plot')
    .helpOption(false)
    .allowUnknownOption(true)
    .argument('[options...]', 'as `node dist/host/compare/main.js --help`: --quick, --datasets, --rules, --epochs, --budget, --memory, --seed, --build, --out')
    .option('-q, --quiet', 'no progress output')
    .action(async (args: string[], flags: { quiet?: boolean }) => {
      if (args.includes('--help') || args.includes('-h')) {
        // The options are compare's own (host/compare/main.ts), so its commander program prints them.
        const { compareProgram } = await import('./compare/main.js');
        process.stdout.write(compareProgram('ffedge compare').option('-q, --quiet', 'no progress output').helpInformation());
        return;
      }
      await compareCommand(args, flags.quiet === true);
    });

  program
    .command('bench')
    .description(`benchmarks: ${BENCHES.join(', ')} (default all = speed + stream); options as npm run bench:<name> -- --help`)
    .helpOption(false)
    .allowUnknownOption(true)
    .argument('[which]', BENCHES.join(' | '), 'all')
    .argument('[options...]', 'passed to the benchmark, e.g. --quick')
    .action((which: string, args: string[]) => {
      if (which.startsWith('-')) {
        args = [which, ...args];
        which = 'all';
      }
      process.exitCode = benchCommand(which, args);
    });

  program
    .command('ports')
    .description('list serial ports (to find --port)')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => portsCommand(flags));

  const logs = program.command('logs').description('summaries, plots and CSV of goodness logs');
  logs
    .command('summary')
    .description('per-layer goodness separation, loss, sparsity and accuracy as tables; writes an SVG plot')
    .argument('<file>', 'goodness log (JSONL)')
    .option('--svg <file>', 'where to write the plot (default: the log path with .svg)')
    .option('--no-plot', 'tables only')
    .action(async (file: string, flags: { svg?: string; plot?: boolean }) => logsSummaryCommand(file, flags));
  logs
    .command('csv')
    .description('export a goodness log as CSV (one row per record and layer)')
    .argument('<file>', 'goodness log (JSONL)')
    .option('-o, --out <file>', 'CSV path (default: the log path with .csv)')
    .option('--meta', 'include meta records')
    .action(async (file: string, flags: { out?: string; meta?: boolean }) => logsCsvCommand(file, flags));

  logs
    .command('live')
    .description('a live view of a goodness log in the browser (127.0.0.1), following it as it grows; or of a fleet with --mqtt')
    .argument('[file]', 'goodness log (JSONL); may not exist yet')
    .option('--port <n>', 'port on 127.0.0.1 (default 8080; 0 = any free port)')
    .option('--mqtt <url>', 'instead of a file: every device of a fleet on this MQTT broker (ffedge fleet)')
    .option('--fleet <name>', 'with --mqtt: the fleet name', 'ffedge')
    .action(async (file: string | undefined, flags: { port?: string; mqtt?: string; fleet: string }) =>
      flags.mqtt !== undefined ? fleetLiveCommand(file, flags as { port?: string; mqtt: string; fleet: string }) : logsLiveCommand(requireLogFile(file), flags),
    );

  program
    .command('export')
    .description('write the trained weights of a checkpoint file (ffedge stream --save-checkpoint) for firmware')
    .argument('<checkpoint>', 'checkpoint file with its model config')
    .option('--c-header <file.h>', 'a C header of static const float arrays (one per layer weight/bias, the head, ...)')
    .option('--prefix <name>', 'C identifier prefix of the arrays and macros (default ffedge_model)')
    .action(async (file: string, flags: { cHeader?: string; prefix?: string }) => exportCommand(file, flags));

  // Issue 13: a fleet of devices over MQTT with federated averaging (host/fleet, host/cli/fleet.ts).
  addFleetCommand(program);

  const checkpoint = program.command('checkpoint').description("save or load the device's weights");
  addDeviceOptions(
    checkpoint
      .command('get')
      .description('download the weights of the model on the device to a file')
      .argument('<file>', 'checkpoint file to write')
      .option('--config <file.json>', 'the LearnerConfig of the model on the device, stored with the weights')
      .option('-q, --quiet', 'no progress output'),
  ).action(async (file: string, flags) => checkpointGetCommand(file, flags));
  addDeviceOptions(
    checkpoint
      .command('put')
      .description("configure the device with the file's model and load its weights")
      .argument('<file>', 'checkpoint file to read')
      .option('--config <file.json>', 'use this LearnerConfig instead of the one in the file')
      .option('-q, --quiet', 'no progress output'),
  ).action(async (file: string, flags) => checkpointPutCommand(file, flags));

  // Issue 12 item 4: a board in one command (host/cli/flash.ts).
  program
    .command('flash')
    .description(
      'build the device firmware for a target and flash it: --qemu boots it under QEMU (UART on a pty), a real board goes through st-flash/OpenOCD/pyOCD, or the exact command is printed',
    )
    .addOption(new Option('--target <board>', 'firmware target (firmware-targets/<board>)').choices([...FLASH_TARGETS]).makeOptionMandatory())
    .option('--qemu', 'boot the firmware under QEMU and stay up until Ctrl-C (cortex-m4-qemu and riscv32 always do)')
    .option('--build-dir <dir>', 'where make puts fw.elf/fw.bin (default firmware-targets/<board>/build)')
    .option('--ram-bytes <n>', "RAM_BYTES of the build: linear memory on the board (default: the target Makefile's)")
    .option('-q, --quiet', 'no progress output')
    .addHelpText(
      'after',
      `
Examples:
  ffedge flash --target cortex-m4-qemu --qemu     boots it; prints the pty and "ffedge stream --port /dev/pts/N"
  ffedge flash --target stm32f405                 st-flash or OpenOCD; without them prints the command (exit 4)
  ffedge flash --target nrf51-microbit            pyOCD, or the hex-copy command for the MICROBIT drive
  ffedge flash --target linux-edge                the native program, and how to run it on a pty`,
    )
    .action(async (flags: FlashFlags) => flashCommand(flags));

  addDeviceOptions(
    program
      .command('monitor')
      .description('print every frame the device sends, decoded, one line each (HELLO, GOODNESS, PONG, ERROR), with a PING every second; Ctrl-C ends')
      .option('--count <n>', 'stop after n frames')
      .option('--ping-ms <ms>', 'PING interval (default 1000)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  ffedge monitor --port /dev/ttyACM0 --baud 115200
  ffedge monitor --device running --count 2       HELLO and one PONG from the device of ffedge device start`,
    )
    .action(async (flags: MonitorFlags) => monitorCommand(flags));

  addDeviceOptions(
    program
      .command('reset')
      .description('send RESET: the device\'s learner goes back to "not configured" (weights and config dropped); prints the device\'s answer')
      .option('-q, --quiet', 'no progress output'),
  )
    .addHelpText(
      'after',
      `
Examples:
  ffedge reset --port /dev/ttyACM0
  ffedge reset --device running`,
    )
    .action(async (flags) => resetCommand(flags));

  // A virtual device that keeps its model across commands (host/cli/device-daemon.ts).
  const device = program.command('device').description('a virtual device that stays running between commands, so checkpoints and resumed runs carry over');
  device
    .command('start')
    .description('start the virtual device detached on a pty; prints its path')
    .option('--virtual', 'ff-device.wasm under node:wasi behind socat (the default and only kind)')
    .option('--ram-limit <bytes>', 'emulate an MCU with this much RAM')
    .addHelpText(
      'after',
      `
Examples:
  ffedge device start
  ffedge stream --device running --samples 100 && ffedge checkpoint get model.ffck --device running
  ffedge device stop`,
    )
    .action(async (flags: { ramLimit?: string; virtual?: boolean }) => deviceStartCommand(flags));
  device
    .command('stop')
    .description('stop the virtual device of ffedge device start')
    .action(async () => deviceStopCommand());
  device
    .command('status')
    .description('is a virtual device running, and on which path')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => deviceStatusCommand(flags));

  // Every command and subcommand: usage errors exit 2, help/version exit 0.
  const configure = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(configure);
  };
  configure(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK; // a command may set it (budget: does not fit)
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the message (or the help) already.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version' ? ExitCode.OK : ExitCode.USAGE;
    }
    process.stderr.write(`${describeError(err)}\n`);
    if (process.env.FFEDGE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return exitCodeFor(err);
  }
}

// `ffedge logs summary X | head`: the reader went away, nobody is left to tell.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
process.stderr.on('error', () => undefined);

const code = await main(process.argv);
process.exitCode = code;
// Let stdout drain, but do not wait forever on a handle someone forgot to close.
setTimeout(() => process.exit(code), 2000).unref();
