/* main.c - the `patchtsmixer` command line tool: the top-level help and the dispatch to the
 * subcommands, one file each (info.c, predict.c, train.c, eval.c, backtest.c).
 *
 *   patchtsmixer info MODEL_DIR
 *   patchtsmixer predict MODEL_DIR --input past.csv [--output out.csv] [--columns a,b]
 *                        [--samples N] [--quantiles 0.1,0.5,0.9] [--seed S]
 *                        [--plot FILE.svg] [--plot-columns a,b] [--holdout]
 *   patchtsmixer train --data FILE --out DIR [options]
 *   patchtsmixer eval MODEL_DIR --data FILE [options]
 *   patchtsmixer backtest MODEL_DIR --data FILE.csv [options]
 *   patchtsmixer --version | --help | COMMAND --help
 *
 * Errors are printed as one line "patchtsmixer: <file>: <field>: <what>" on stderr.
 * Exit codes: 0 success, 1 runtime error (bad model, bad input, I/O), 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *USAGE =
    "usage: patchtsmixer <command> [options]\n"
    "\n"
    "PatchTSMixer time-series models (Hugging Face checkpoints) in C.\n"
    "\n"
    "commands:\n"
    "  info MODEL_DIR        describe a checkpoint (class, config, parameters, cost)\n"
    "  predict MODEL_DIR     forecast / classify / regress from a CSV of past values\n"
    "  train                 train, pretrain or fine-tune a model (Hugging Face checkpoints)\n"
    "  eval MODEL_DIR        test-set metrics (MSE/MAE, accuracy, RMSE)\n"
    "  backtest MODEL_DIR    rolling-origin backtest of a forecaster (MASE, sMAPE, CRPS, ...)\n"
    "\n"
    "options:\n"
    "  --help                this help; 'patchtsmixer COMMAND --help' for a command\n"
    "  --version             print the version\n"
    "\n"
    "exit codes: 0 success, 1 runtime error, 2 usage error\n"
    "example: patchtsmixer predict models/etth1 --input data/ETTh1.csv\n";

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("patchtsmixer %s\n", ptm_version());
        return 0;
    }
    if (strcmp(cmd, "info") == 0) return cmd_info(argc - 2, argv + 2);
    if (strcmp(cmd, "predict") == 0) return cmd_predict(argc - 2, argv + 2);
    if (strcmp(cmd, "train") == 0) return cmd_train(argc - 2, argv + 2);
    if (strcmp(cmd, "eval") == 0) return cmd_eval(argc - 2, argv + 2);
    if (strcmp(cmd, "backtest") == 0) return cmd_backtest(argc - 2, argv + 2);
    return fail_usage(NULL, "unknown command '%s'", cmd);
}
