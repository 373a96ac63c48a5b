/* llhttp is compiled from Debian node-llhttp sources. */
#include "api.c"
