/* qatrain's main(): the command line lives in main.c, apart so that a test can link the
 * whole CLI and call qat_cli_main itself. */
#include "cli.h"

int main(int argc, char **argv) {
    return qat_cli_main(argc, argv);
}
