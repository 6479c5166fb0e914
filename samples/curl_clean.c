/* curl_clean.c - the clean twin of curl_leaky: one libcurl easy handle,
 * reused for every request, then cleaned up.
 *
 *   curl_clean PORT [N]
 *
 * N requests (default 12) to 127.0.0.1:PORT (samples/http_server) on one
 * easy handle: libcurl keeps the connection alive between them, so they all
 * travel on one connection; curl_easy_cleanup closes it. Expected report:
 * clean. Exits 0, 1 when a transfer failed, 2 on bad usage. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

static size_t count_body(char *data, size_t size, size_t nmemb, void *total)
{
    (void)data;
    *(long *)total += (long)(size * nmemb);
    return size * nmemb;
}

/* N transfers on h. Returns the number of connections they opened, or -1. */
static long fetch_all(CURL *h, int port, int n, long *bytes)
{
    char url[128];
    long connects = 0;
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, bytes);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    for (int i = 0; i < n; i++) {
        long c = 0;
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s", port, i % 2 ? "big" : "items");
        curl_easy_setopt(h, CURLOPT_URL, url);
        CURLcode rc = curl_easy_perform(h);
        if (rc != CURLE_OK) {
            fprintf(stderr, "curl_clean: %s\n", curl_easy_strerror(rc));
            return -1;
        }
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &c);
        connects += c;
    }
    return connects;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long port = argc > 1 ? strtol(argv[1], &end, 10) : 0;
    int n = argc > 2 ? atoi(argv[2]) : 12;
    long bytes = 0;

    if (!end || *end || port < 1 || port > 65535 || argc > 3 || n < 1 || n > 1000) {
        fprintf(stderr, "usage: curl_clean PORT [N] (N in 1..1000)\n");
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
    CURL *h = curl_easy_init();
    long connects = h ? fetch_all(h, (int)port, n, &bytes) : -1;
    curl_easy_cleanup(h);
    curl_global_cleanup();
    if (connects < 0) return 1;
    printf("curl_clean: %d transfers on %ld connection(s), %ld body bytes, handle cleaned up\n", n,
           connects, bytes);
    return 0;
}
