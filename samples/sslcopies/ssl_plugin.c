/* ssl_plugin.c - a plugin linked against one of the fake libssl copies:
 * call() returns what its SSL_read answers. */
int SSL_read(void *s, void *buf, int n);
int call(void);

int call(void)
{
    char buf[4];
    return SSL_read((void *)0x1000, buf, (int)sizeof(buf));
}
