/* curl_leaky.c - libcurl clients that leak, against a server on
 * 127.0.0.1:PORT (samples/http_server).
 *
 *   curl_leaky MODE PORT [N]
 *
 *   nocleanup   N easy handles (default 3), each fetches /x?key=... and is
 *               never cleaned up: its cached connection stays open too
 *               -> client-handle-leak (handle "curl", count N) at the
 *               curl_easy_init line, and orphaned-socket (count N) whose top
 *               frame is this file's curl_easy_perform line, not libcurl
 *   perrequest  a new easy handle per request (default 12), cleaned up each
 *               time, so no connection is ever reused
 *               -> no-connection-reuse, N connections, N-1 saved
 *
 * Exits 0, 1 when a transfer failed, 2 on bad usage. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_N 1000

static size_t count_body(char *data, size_t size, size_t nmemb, void *total)
{
    (void)data;
    *(long *)total += (long)(size * nmemb);
    return size * nmemb;
}

/* Points h at url, with the body counted into *total. */
static void setup(CURL *h, const char *url, long *total)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, total);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
}

static int transfer_failed(const char *mode, CURLcode rc)
{
    fprintf(stderr, "curl_leaky %s: %s\n", mode, curl_easy_strerror(rc));
    return 1;
}

static int leak_nocleanup(int port, int n)
{
    char url[128];
    long bytes = 0;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x?key=s3cret", port);
    for (int i = 0; i < n; i++) {
        CURL *h = curl_easy_init(); /* connleak-test: nocleanup-init-site */
        if (!h) return transfer_failed("nocleanup", CURLE_FAILED_INIT);
        setup(h, url, &bytes);
        CURLcode rc = curl_easy_perform(h); /* connleak-test: nocleanup-perform-site */
        if (rc != CURLE_OK) return transfer_failed("nocleanup", rc);
        /* missing: curl_easy_cleanup(h) */
    }
    printf("curl_leaky nocleanup: %d transfers, %ld body bytes, %d handles not cleaned up\n", n,
           bytes, n);
    return 0;
}

static int leak_perrequest(int port, int n)
{
    char url[128];
    long bytes = 0;
    for (int i = 0; i < n; i++) {
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/items/%d", port, i);
        CURL *h = curl_easy_init();
        if (!h) return transfer_failed("perrequest", CURLE_FAILED_INIT);
        setup(h, url, &bytes);
        CURLcode rc = curl_easy_perform(h); /* connleak-test: perrequest-site */
        curl_easy_cleanup(h);               /* and its connection with it */
        if (rc != CURLE_OK) return transfer_failed("perrequest", rc);
    }
    printf("curl_leaky perrequest: %d transfers, %ld body bytes, %d handles cleaned up\n", n, bytes,
           n);
    return 0;
}

int main(int argc, char **argv)
{
    bool nocleanup = argc > 1 && strcmp(argv[1], "nocleanup") == 0;
    bool perrequest = argc > 1 && strcmp(argv[1], "perrequest") == 0;
    char *end = NULL;
    long port = argc > 2 ? strtol(argv[2], &end, 10) : 0;
    int n = argc > 3 ? atoi(argv[3]) : nocleanup ? 3 : 12;

    if (!(nocleanup || perrequest) || !end || *end || port < 1 || port > 65535 || argc > 4 ||
        n < 1 || n > MAX_N) {
        fprintf(stderr, "usage: curl_leaky nocleanup|perrequest PORT [N] (N in 1..%d)\n", MAX_N);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
    int rc = nocleanup ? leak_nocleanup((int)port, n) : leak_perrequest((int)port, n);
    curl_global_cleanup();
    return rc;
}
