package redistest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of masters (no replicas) that a test started,
// each a redis-server on a free loopback port in a temporary directory of
// its own, the 16384 slots split evenly between them.
type Cluster struct {
	// Addrs are the masters' host:port.
	Addrs []string

	nodes []*Server
}

// StartCluster starts a cluster of n masters for tb, waits (at most 30 s)
// until every node reports the cluster ok, and stops it in tb.Cleanup. It
// skips or fails as Start does when redis-server is not installed.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	if n < 1 {
		tb.Fatalf("redistest: StartCluster(%d): need at least one master", n)
	}
	c := &Cluster{}
	for range n {
		s := startNode(tb)
		c.nodes = append(c.nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clients := make([]*redis.Client, n)
	for i, addr := range c.Addrs {
		clients[i] = redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
		defer clients[i].Close()
	}
	for i, rdb := range clients {
		lo, hi := i*16384/n, (i+1)*16384/n-1
		if err := rdb.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			tb.Fatalf("redistest: cluster node %s: ADDSLOTSRANGE %d %d: %v", c.Addrs[i], lo, hi, err)
		}
	}
	for i := 1; i < n; i++ {
		host, port, _ := net.SplitHostPort(c.Addrs[i])
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", host, port).Err(); err != nil {
			tb.Fatalf("redistest: CLUSTER MEET %s: %v", c.Addrs[i], err)
		}
	}
	for {
		ok := true
		for _, rdb := range clients {
			info, err := rdb.ClusterInfo(ctx).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)) {
				ok = false
				break
			}
		}
		if ok {
			return c
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("redistest: the cluster on %v did not become ok within 30s", c.Addrs)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func startNode(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Start(tb) // skips or fails with Start's message
		return nil
	}
	dir := tb.TempDir()
	s := &Server{tb: tb, bin: bin, dir: dir, port: freePort(tb)}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	s.extra = []string{"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--cluster-node-timeout", "5000"}
	s.start()
	tb.Cleanup(s.Stop)
	return s
}

// Client returns a cluster client for c, closed in tb.Cleanup, with short
// timeouts and no retries (the stores' cooldown decides).
func (c *Cluster) Client(tb testing.TB) *redis.ClusterClient {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs, DialTimeout: 500 * time.Millisecond, ReadTimeout: 2 * time.Second, MaxRetries: -1})
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}

// String lists the masters.
func (c *Cluster) String() string { return fmt.Sprint(c.Addrs) }
