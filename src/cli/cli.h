/* The CLI's pieces (src/cli/): main() in entry.c, the training job in main.c, the .tflite
 * commands in tflite_cmds.c. */
#ifndef QAT_CLI_H
#define QAT_CLI_H

/* The whole command line (training, inspect, run): returns the exit status. Callable more
 * than once in a process (the allocation-failure test runs it so). */
int qat_cli_main(int argc, char **argv);

/* Prints "qatrain: MSG" on stderr; returns the bad-input exit status, 2. */
int qat_cli_fail(const char *msg);

int qat_cmd_inspect(const char *path);
int qat_cmd_run(const char *model, const char *input, const char *output);

#endif
