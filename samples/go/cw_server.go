// cw_server.go - a Go TCP server that forgets to close the connections its
// clients hang up: each accepted connection is read until EOF and then
// kept, so it sits in CLOSE_WAIT on the server's side.
//
// It listens on 127.0.0.1:0, prints the port and a newline, serves until
// -duration has passed (or 500 ms after its -conns'th connection), then
// exits 0 without closing anything. With -close it closes each connection
// at EOF: the clean twin.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

var held []net.Conn

func main() {
	duration := flag.Duration("duration", 3*time.Second, "how long to serve")
	closeAtEOF := flag.Bool("close", false, "close each connection when its client hangs up")
	want := flag.Int("conns", 0, "exit 500 ms after this many connections (0: at -duration)")
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "go_cw_server:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	conns := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept() // connleak-test: accept-site
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	deadline := time.After(*duration)
	for {
		select {
		case c := <-conns:
			held = append(held, c)
			if *want > 0 && len(held) == *want {
				deadline = time.After(500 * time.Millisecond) // their hang-ups arrive
			}
			go func(c net.Conn) {
				io.Copy(io.Discard, c)
				if *closeAtEOF {
					c.Close()
				}
			}(c)
		case <-deadline:
			fmt.Printf("go_cw_server: %d connections accepted\n", len(held))
			return
		}
	}
}
