/*
 * tlsfloor-report: `tlsfloor report ...` execs this program, installed in
 * $(pkglibexecdir), with the same arguments (cli.h). It is a program of
 * its own so that the daemon carries no JSON parser and the report needs
 * neither libuv nor BoringSSL.
 */
#include "cli.h"

int
main(int argc, char **argv)
{
	return tf_cli_main(argc, argv);
}
