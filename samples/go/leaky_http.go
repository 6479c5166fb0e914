// leaky_http.go - a Go HTTP client that never closes its response bodies:
// the fault `connleak watch` exists for (Go programs cannot be preloaded).
//
// Every -every it GETs -url with net/http and reads only the status line and
// headers; resp.Body is neither read nor closed, so the connection never
// goes back to the pool and every request dials a new one. Against a server
// that closes after each response (python3 -m http.server speaks HTTP/1.0)
// each of them ends in CLOSE_WAIT on this side and the fd count grows by
// one per request. After -n requests it stays alive until -duration has
// passed since its start, then exits 0.
//
// Expected `connleak watch` findings: close-wait-pile towards the server
// (about -n sockets), fd-growth.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

var leaked []*http.Response // keeps the bodies reachable: never closed

func main() {
	url := flag.String("url", "", "the URL to GET (required), e.g. http://127.0.0.1:8000/")
	n := flag.Int("n", 30, "number of requests")
	every := flag.Duration("every", 100*time.Millisecond, "time between requests")
	duration := flag.Duration("duration", 6*time.Second, "total run time (at least the requests' time)")
	flag.Parse()
	if *url == "" || *n < 0 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: go_leaky_http -url URL [-n N] [-every D] [-duration D]")
		os.Exit(2)
	}
	start := time.Now()
	// No http.Client.Timeout: its timer would cancel the unread bodies (and
	// close their connections) after it expired, hiding the leak.
	client := &http.Client{Transport: &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		ResponseHeaderTimeout: 5 * time.Second,
	}}
	status := 0
	for i := 0; i < *n; i++ {
		resp, err := client.Get(*url) // connleak-test: leak-site
		if err != nil {
			fmt.Fprintln(os.Stderr, "go_leaky_http:", err)
			os.Exit(1)
		}
		if resp.StatusCode == http.StatusOK {
			status++
		}
		leaked = append(leaked, resp)
		time.Sleep(*every)
	}
	fmt.Printf("go_leaky_http: %d requests, %d with status 200, 0 bodies closed\n", *n, status)
	time.Sleep(time.Until(start.Add(*duration)))
}
