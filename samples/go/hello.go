// hello.go - a Go program: it makes its socket system calls without libc, so
// LD_PRELOAD sees nothing even when the binary is dynamically linked.
//
// It listens on 127.0.0.1:0, connects to itself, exchanges a line and exits.
// Expected report: status "not-observable".
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "go_hello:", err)
		os.Exit(1)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = fmt.Fprintln(c, "hello")
		done <- err
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Fprintln(os.Stderr, "go_hello:", err)
		os.Exit(1)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if err != nil || <-done != nil {
		fmt.Fprintln(os.Stderr, "go_hello: exchange failed")
		os.Exit(1)
	}
	fmt.Print("go_hello: ", line)
}
