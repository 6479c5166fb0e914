// client.go - a Go HTTP client with the leaks connleak's probe backend
// exists for, and a clean twin, one mode per run:
//
//	-mode leak-body      one http.Client; reads the status, never reads nor
//	                     closes resp.Body: each request strands its connection
//	-mode new-transport  a new http.Transport per request; reads and closes
//	                     every body, but each Transport keeps its idle
//	                     connection forever (IdleConnTimeout 0)
//	-mode read-no-close  one http.Client; reads every body to the end and
//	                     never closes it: the connection is reused (Go
//	                     gives it back at the end of the body), but each
//	                     Close is missing
//	-mode clean          one http.Client, every body read and closed: one
//	                     connection, reused by every request
//
// Each mode's request is made on its own line, marked "connleak-test:
// MODE-site", so that a test can find the line the report must name. It
// waits -delay before the first request (time to attach to it) and
// -interval between requests (a service's pace), prints a
// summary after -n requests, stays alive -hold longer, and exits 0.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

var kept []*http.Response // leak-body: the bodies stay reachable, never closed

// interval: -interval, the pause after each request (a service's pace).
var interval time.Duration

// insecure: -insecure, for the tests' self-signed HTTPS server.
var insecure bool

func leakBody(url string, n int) int {
	client := &http.Client{}
	if insecure {
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	}
	ok := 0
	for i := 0; i < n; i++ {
		if i > 0 {
			time.Sleep(interval)
		}
		resp, err := client.Get(url) // connleak-test: leak-body-site
		if err != nil {
			fmt.Fprintln(os.Stderr, "go_client:", err)
			os.Exit(1)
		}
		if resp.StatusCode == http.StatusOK {
			ok++
		}
		kept = append(kept, resp)
	}
	return ok
}

func newTransport(url string, n int) int {
	ok := 0
	for i := 0; i < n; i++ {
		if i > 0 {
			time.Sleep(interval)
		}
		client := &http.Client{Transport: &http.Transport{}}
		resp, err := client.Get(url) // connleak-test: new-transport-site
		if err != nil {
			fmt.Fprintln(os.Stderr, "go_client:", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ok++
		}
	}
	return ok
}

func readNoClose(url string, n int) int {
	client := &http.Client{}
	ok := 0
	for i := 0; i < n; i++ {
		if i > 0 {
			time.Sleep(interval)
		}
		resp, err := client.Get(url) // connleak-test: read-no-close-site
		if err != nil {
			fmt.Fprintln(os.Stderr, "go_client:", err)
			os.Exit(1)
		}
		if _, err := io.ReadAll(resp.Body); err == nil && resp.StatusCode == http.StatusOK {
			ok++
		}
	}
	return ok
}

func clean(url string, n int) int {
	client := &http.Client{}
	ok := 0
	for i := 0; i < n; i++ {
		if i > 0 {
			time.Sleep(interval)
		}
		resp, err := client.Get(url) // connleak-test: clean-site
		if err != nil {
			fmt.Fprintln(os.Stderr, "go_client:", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ok++
		}
	}
	client.CloseIdleConnections()
	return ok
}

func main() {
	url := flag.String("url", "", "the URL to GET (required), e.g. http://127.0.0.1:8080/")
	mode := flag.String("mode", "clean", "leak-body, new-transport, read-no-close or clean")
	n := flag.Int("n", 10, "number of requests")
	delay := flag.Duration("delay", 0, "wait before the first request")
	hold := flag.Duration("hold", 0, "stay alive after the requests")
	flag.DurationVar(&interval, "interval", 0, "pause between requests")
	flag.BoolVar(&insecure, "insecure", false, "leak-body: accept any TLS certificate (test servers)")
	flag.Parse()
	if *url == "" || *n < 0 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: go_client -url URL [-mode leak-body|new-transport|read-no-close|clean] [-n N]")
		os.Exit(2)
	}
	var ok int
	time.Sleep(*delay)
	switch *mode {
	case "leak-body":
		ok = leakBody(*url, *n)
	case "new-transport":
		ok = newTransport(*url, *n)
	case "read-no-close":
		ok = readNoClose(*url, *n)
	case "clean":
		ok = clean(*url, *n)
	default:
		fmt.Fprintln(os.Stderr, "go_client: unknown -mode", *mode)
		os.Exit(2)
	}
	fmt.Printf("go_client: %s: %d requests, %d with status 200\n", *mode, *n, ok)
	time.Sleep(*hold)
}
