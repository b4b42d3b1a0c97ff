/* cli.h - what the subcommand files of the `patchtsmixer` tool share. */
#ifndef PTM_CLI_H
#define PTM_CLI_H
#include "patchtsmixer.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* print "patchtsmixer: <error>" on stderr, return EXIT_RUNTIME */
int fail_status(const ptm_error *err);
/* print "patchtsmixer CMD: <fmt with arg> (see ...)" on stderr, return EXIT_USAGE */
int fail_usage(const char *cmd, const char *fmt, const char *arg);

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
#endif
