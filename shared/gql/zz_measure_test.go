package gql_test

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestZZMeasure(t *testing.T) {
	name := os.Getenv("ZZ_ATTACK")
	if name == "" {
		t.Skip()
	}
	size, _ := strconv.Atoi(os.Getenv("ZZ_SIZE"))
	e := newEnv(t)
	e.srv.Do(gqlContext(reader), gqlRequest(`{ tickets { totalCount } }`))
	for _, a := range attacks {
		if a.name != name {
			continue
		}
		doc := a.fill(size)
		c0, w0 := cpuNow(), time.Now()
		res := e.srv.Do(gqlContext(reader), gqlRequest(doc))
		msg := string(res.Body)
		if len(msg) > 100 {
			msg = msg[:100]
		}
		fmt.Printf("%-34s %7d B  status %d  cpu %9.1f ms  wall %9.1f ms  %s\n", a.name, len(doc), res.Status, float64(cpuNow()-c0)/1e6, float64(time.Since(w0))/1e6, msg)
	}
}
