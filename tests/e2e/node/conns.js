// conns.js - node (libuv closes its sockets with syscall(SYS_close)) opens
// N TCP connections to a server in the same script on 127.0.0.1, then
//   closes them all (and the server), or with "leak" keeps them open,
// writes "ready PID" to stdout and waits WAIT_MS for a dump, then exits.
// Usage: node conns.js N WAIT_MS [leak]
'use strict';
const net = require('net');
const n = parseInt(process.argv[2] || '5', 10);
const waitMs = parseInt(process.argv[3] || '2000', 10);
const leak = process.argv[4] === 'leak';

const accepted = [];
const server = net.createServer((s) => {
  accepted.push(s);
  s.on('error', () => {});
  s.resume();
  s.on('end', () => s.end());
});
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const clients = [];
  let up = 0;
  for (let i = 0; i < n; i++) {
    const c = net.connect(port, '127.0.0.1', () => {
      c.write('hello');
      if (++up === n) setTimeout(() => done(clients), 100);
    });
    c.on('error', () => {});
    clients.push(c);
  }
});

function done(clients) {
  if (leak) return ready();
  let closed = 0;
  for (const c of clients) {
    c.on('close', () => {
      if (++closed === n) server.close(() => setTimeout(ready, 100));
    });
    c.end();
  }
}

function ready() {
  process.stdout.write(`ready ${process.pid}\n`);
  setTimeout(() => process.exit(0), waitMs);
}
