// pool.cpp - a C++ program whose leaks sit in a namespaced class method, a
// function template, a lambda and an inlined function: the report must name
// them as the source spells them (net::Pool::dial, net::open_as<net::Tcp>,
// main's lambda, net::tcp_socket inlined into net::Pool::redial), not as the
// linker does (_ZN3net4Pool4dialEi).
//
//   cpp_pool [clean]
//
// It listens on 127.0.0.1 (a port the kernel picks; the kernel completes the
// connections in the listen backlog, nobody accepts them) and opens 4
// connections in net::Pool::redial (through net::tcp_socket, always inlined
// even at -fno-inline), 3 in net::Pool::dial, 2 in net::open_as<net::Tcp>
// and 1 in a lambda called through std::function. Without "clean" none is
// closed: expected report, four orphaned-socket findings of counts 4, 3, 2
// and 1 at the lines marked below. With "clean" (the clean twin: the same
// calls) every socket is closed: no finding.
#include <arpa/inet.h>
#include <cstdio>
#include <cstring>
#include <functional>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace net {

struct Tcp {
    static constexpr int type = SOCK_STREAM;
};

// Connects fd to 127.0.0.1:port; false on failure.
static bool connect_loopback(int fd, int port)
{
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return fd >= 0 && connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0;
}

// A stream socket; inlined into every caller, so that DWARF alone names it.
[[gnu::always_inline]] inline int tcp_socket()
{
    return socket(AF_INET, SOCK_STREAM, 0); // connleak-test: inline-site
}

class Pool {
  public:
    explicit Pool(int port) : port_(port) {}
    int dial(int attempt);
    int redial();

  private:
    int port_;
};

int Pool::dial(int attempt)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0); // connleak-test: method-site
    if (!connect_loopback(fd, port_)) return -1;
    return attempt >= 0 ? fd : -1;
}

int Pool::redial()
{
    int fd = tcp_socket(); // connleak-test: redial-site
    return connect_loopback(fd, port_) ? fd : -1;
}

template <typename Proto> int open_as(int port)
{
    int fd = socket(AF_INET, Proto::type, 0); // connleak-test: template-site
    return connect_loopback(fd, port) ? fd : -1;
}

} // namespace net

// A listener on 127.0.0.1 with a backlog for every connection made; -1 on failure.
static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0 ||
        listen(fd, 64) != 0 || getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
        return -1;
    *port = ntohs(addr.sin_port);
    return fd;
}

int main(int argc, char **argv)
{
    bool clean = argc > 1 && std::strcmp(argv[1], "clean") == 0;
    int port = 0, listener = listen_loopback(&port);
    if (listener < 0) {
        std::perror("cpp_pool: listen");
        return 1;
    }
    std::vector<int> fds;
    net::Pool pool(port);
    for (int i = 0; i < 4; i++) fds.push_back(pool.redial());
    for (int i = 0; i < 3; i++) fds.push_back(pool.dial(i));
    for (int i = 0; i < 2; i++) fds.push_back(net::open_as<net::Tcp>(port));
    std::function<int(int)> open_one = [port](int n) {
        int fd = socket(AF_INET, SOCK_STREAM, 0); // connleak-test: lambda-site
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0) return -1;
        return n >= 0 ? fd : -1;
    };
    fds.push_back(open_one(0));
    int failed = 0;
    for (int fd : fds) {
        if (fd < 0) failed++;
        if (clean && fd >= 0) close(fd);
    }
    close(listener);
    std::printf("cpp_pool: %zu connections, %d failed, %s\n", fds.size(), failed,
                clean ? "all closed" : "none closed");
    return failed ? 1 : 0;
}
