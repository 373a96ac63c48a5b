/*
 * The command line of tlsfloor-report, which `tlsfloor report` runs:
 *
 *     tlsfloor report [--html OUT] [--json] [--since TIME] LOG...
 *
 * LOG is a legacy-log or access-log file, '-' standard input; the report
 * goes to standard output as a table (or JSON with --json), and --html
 * OUT also writes the page to OUT ('-': to standard output instead of the
 * report).
 */
#ifndef TF_CLI_H
#define TF_CLI_H

/*
 * Runs the command; argv[0] is the command's name and is not read.
 * Returns the process exit status: 0 (malformed lines do not change it),
 * 1 when a LOG cannot be opened or read or an output cannot be written (a
 * "tlsfloor: report: PATH: reason" line on stderr), 2 on bad usage (usage
 * on stderr). Not re-entrant: it writes to stdout and stderr.
 */
int tf_cli_main(int argc, char **argv);

#endif
