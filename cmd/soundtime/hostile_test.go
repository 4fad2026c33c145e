package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLatePutsLeaveNothing: a PUT with a still-valid upload URL after the track was deleted, or
// after its pending time ran out and the item is gone, stores an object for no upload; its own
// event deletes it, within seconds rather than at the next reconcile.
func TestLatePutsLeaveNothing(t *testing.T) {
	s := expiryStack(t) // PENDING_TTL 2s, a fast TTL sweep
	c := s.client(t)
	body, sum := audioBytes(t, 1)

	id, url, token := createWithToken(c, body, sum)
	if r := c.do("DELETE", "/api/tracks/"+id, map[string]string{"Authorization": "Bearer " + token}, nil); r.Status != 204 {
		t.Fatalf("DELETE = %d", r.Status)
	}
	putOriginal(c, url, body, sum) // the URL is signed for 10 minutes: storage accepts it
	s.noObjects(t, id)

	id, url, _ = createWithToken(c, body, sum)
	s.gone(t, id, 10*time.Second) // the pending time ran out; nothing was uploaded
	putOriginal(c, url, body, sum)
	s.noObjects(t, id)
}

func createWithToken(c client, body []byte, sum string) (id, url, token string) {
	c.t.Helper()
	r := c.postJSON("/api/tracks", map[string]any{"filename": "late.mp3", "type": "audio/mpeg", "size": len(body), "md5": sum})
	if r.Status != http.StatusCreated {
		c.t.Fatalf("create = %d %s", r.Status, r.Body)
	}
	m := r.json(c.t)
	return m["id"].(string), m["upload"].(map[string]any)["url"].(string), m["deleteToken"].(string)
}

// TestSlowBodiesAreCutOff: a client that announces a body and never sends it is disconnected
// after the read timeout, instead of holding a connection (and a goroutine) for as long as it
// likes.
func TestSlowBodiesAreCutOff(t *testing.T) {
	t.Parallel()
	conn, err := net.Dial("tcp", strings.TrimPrefix(shared.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /api/tracks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"filename\":")
	conn.SetReadDeadline(time.Now().Add(readTimeout + 30*time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	took := time.Since(start)
	if err == nil {
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Fatalf("half a body answered %d", res.StatusCode)
		}
	}
	if took > readTimeout+5*time.Second {
		t.Fatalf("the connection was held %v, past the %v read timeout", took, readTimeout)
	}
}
