/* plugin.c - libplugin.so: a library that a program loads with dlopen()
 * after start-up, and that leaks a socket (leak-site). connleak writes the
 * module map again for modules that appear later, so the leak must still be
 * reported at this file and line. */
#include <sys/socket.h>

int plugin_open(void)
{
    return socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: leak-site */
}
