// fetch.js - a node HTTP client for e2e_node_jit (issue 15): fetchItems
// sends N GET /big requests to PORT through a keep-alive agent. With "leak"
// it never consumes the responses nor destroys the agent, and exits with
// their sockets open; without it, it reads each body to the end and
// destroys the agent first. Names are resolved by an installed package
// (node_modules/static-lookup) that answers in the caller's tick, so each
// socket is opened while fetchItems is on the stack (with dns.lookup, node
// connects in a later tick, from its own frames only).
// Usage: node fetch.js PORT N [leak]
'use strict';
const http = require('http');
const staticLookup = require('static-lookup');
const port = parseInt(process.argv[2], 10);
const n = parseInt(process.argv[3] || '3', 10);
const leak = process.argv[4] === 'leak';
const agent = new http.Agent({ keepAlive: true, maxSockets: n });

function fetchItems(i, done) { // connleak-test: jit-function
  const opts = { host: 'items.test', port, path: '/big', agent, lookup: staticLookup };
  http.get(opts, (res) => done(res));
}

let got = 0;
function onResponse(res) {
  if (leak) {
    if (++got === n) setTimeout(() => process.exit(0), 200);
    return;
  }
  res.resume();
  res.on('end', () => {
    if (++got === n) {
      agent.destroy();
      setTimeout(() => process.exit(0), 100);
    }
  });
}
for (let i = 0; i < n; i++) fetchItems(i, onResponse);
