/* The CLI's pieces (src/cli/): the training job in main.c, the .tflite commands here. */
#ifndef QAT_CLI_H
#define QAT_CLI_H

/* Prints "qatrain: MSG" on stderr; returns the bad-input exit status, 2. */
int qat_cli_fail(const char *msg);

int qat_cmd_inspect(const char *path);
int qat_cmd_run(const char *model, const char *input, const char *output);

#endif
