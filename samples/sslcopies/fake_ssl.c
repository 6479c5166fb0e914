/* fake_ssl.c - a stand-in libssl for the ssl_copies sample: SSL_read
 * returns FAKE_RET, which tells the caller which copy answered. Built twice
 * (libssl.so.3 answering 111, libssl-8bd4d2c1.so.1.1 answering 222), as a
 * process may hold Python's libssl and a wheel's bundled, renamed one. */
int SSL_read(void *s, void *buf, int n);

int SSL_read(void *s, void *buf, int n)
{
    (void)s, (void)buf, (void)n;
    return FAKE_RET;
}
