/* qatrain's main(): the process-wide setup, then the command line (main.c). Apart so that
 * a test can link the whole CLI and call qat_cli_main itself. */
#include "cli.h"
#include "qat/blas.h"

int main(int argc, char **argv) {
    qat_blas_setup(argv); /* may re-execute the program with other BLAS kernels */
    return qat_cli_main(argc, argv);
}
