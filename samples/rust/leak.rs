// leak.rs - a Rust program whose leaks sit in a function of a module and in
// a generic method: the report must name them as the source spells them
// (leak::net::dial, leak::net::Pool<leak::net::Tcp>::open), whichever of
// Rust's manglings (legacy "_ZN...17h<hash>E" or v0 "_R...") the binary uses.
//
//   rust_leak [clean]
//
// It listens on 127.0.0.1 (the kernel completes the connections in the
// listen backlog, nobody accepts them) and opens 3 connections in
// net::dial and 2 in net::Pool<Tcp>::open, with libc's socket() and
// connect() called directly, so that the top frame is the Rust function
// itself and not the standard library's. Without "clean" none is closed:
// expected report, two orphaned-socket findings of counts 3 and 2 at the
// lines marked below; with "clean" (the clean twin) no finding.
use std::net::TcpListener;

mod net {
    #[repr(C)]
    pub struct SockaddrIn {
        pub family: u16,
        pub port: u16,
        pub addr: u32,
        pub zero: [u8; 8],
    }

    extern "C" {
        pub fn socket(domain: i32, kind: i32, protocol: i32) -> i32;
        pub fn connect(fd: i32, addr: *const SockaddrIn, len: u32) -> i32;
        pub fn close(fd: i32) -> i32;
    }

    pub const AF_INET: i32 = 2;
    pub const SOCK_STREAM: i32 = 1;

    // Connects fd to 127.0.0.1:port; false on failure.
    #[inline(never)]
    pub fn connect_loopback(fd: i32, port: u16) -> bool {
        let addr = SockaddrIn {
            family: AF_INET as u16,
            port: port.to_be(),
            addr: 0x7f00_0001u32.to_be(),
            zero: [0; 8],
        };
        fd >= 0 && unsafe { connect(fd, &addr, std::mem::size_of::<SockaddrIn>() as u32) } == 0
    }

    #[inline(never)]
    pub fn dial(port: u16) -> i32 {
        let fd = unsafe { socket(AF_INET, SOCK_STREAM, 0) }; // connleak-test: fn-site
        if connect_loopback(fd, port) { fd } else { -1 }
    }

    pub trait Proto {
        const KIND: i32;
    }
    pub struct Tcp;
    impl Proto for Tcp {
        const KIND: i32 = SOCK_STREAM;
    }

    pub struct Pool<P: Proto> {
        pub port: u16,
        pub proto: std::marker::PhantomData<P>,
    }

    impl<P: Proto> Pool<P> {
        #[inline(never)]
        pub fn open(&self) -> i32 {
            let fd = unsafe { socket(AF_INET, P::KIND, 0) }; // connleak-test: generic-site
            if connect_loopback(fd, self.port) { fd } else { -1 }
        }
    }
}

fn main() {
    let clean = std::env::args().nth(1).as_deref() == Some("clean");
    let listener = TcpListener::bind("127.0.0.1:0").expect("rust_leak: listen");
    let port = listener.local_addr().expect("rust_leak: local_addr").port();
    let mut fds = Vec::new();
    for _ in 0..3 {
        fds.push(net::dial(port));
    }
    let pool = net::Pool::<net::Tcp> { port, proto: std::marker::PhantomData };
    for _ in 0..2 {
        fds.push(pool.open());
    }
    let failed = fds.iter().filter(|&&fd| fd < 0).count();
    if clean {
        for &fd in fds.iter().filter(|&&fd| fd >= 0) {
            unsafe { net::close(fd) };
        }
    }
    drop(listener);
    println!("rust_leak: {} connections, {} failed, {}", fds.len(), failed,
             if clean { "all closed" } else { "none closed" });
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
