package main

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// curlCommand is one curl line of the README: method, URL, whether it sends
// the token, and its body.
type curlCommand struct {
	line        string
	method      string
	url         string
	auth        bool
	contentType string
	body        string
}

// readmeCommands reads the curl commands of README.md: a command starts at
// a line beginning with "curl " and, while a single quote is open, goes on
// over the next lines.
func readmeCommands(t *testing.T) []curlCommand {
	t.Helper()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	var cmds []curlCommand
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "curl ") {
			continue
		}
		cmd := lines[i]
		for strings.Count(cmd, "'")%2 == 1 && i+1 < len(lines) {
			i++
			cmd += "\n" + lines[i]
		}
		cmds = append(cmds, parseCurl(t, cmd))
	}
	return cmds
}

// parseCurl understands the few curl options the README uses: -s, -X,
// -H "Authorization: Bearer $TWOWAY_TOKEN", -H "Content-Type: …" and
// -d '…' (which, like curl, implies application/x-www-form-urlencoded
// unless a Content-Type is given).
func parseCurl(t *testing.T, cmd string) curlCommand {
	t.Helper()
	c := curlCommand{line: strings.SplitN(cmd, "\n", 2)[0], method: "GET"}
	var args []string
	for rest := strings.TrimPrefix(cmd, "curl "); rest != ""; {
		rest = strings.TrimLeft(rest, " \n")
		if rest == "" {
			break
		}
		var arg string
		switch rest[0] {
		case '\'', '"':
			end := strings.IndexByte(rest[1:], rest[0])
			require.GreaterOrEqual(t, end, 0, "unclosed quote in %q", cmd)
			arg, rest = rest[1:1+end], rest[2+end:]
		default:
			end := strings.IndexAny(rest, " \n")
			if end < 0 {
				end = len(rest)
			}
			arg, rest = rest[:end], rest[end:]
		}
		args = append(args, arg)
	}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-s":
		case "-X":
			i++
			c.method = args[i]
		case "-H":
			i++
			switch name, value, _ := strings.Cut(args[i], ": "); name {
			case "Authorization":
				require.Equal(t, "Bearer $TWOWAY_TOKEN", value, cmd)
				c.auth = true
			case "Content-Type":
				c.contentType = value
			default:
				t.Fatalf("unexpected header %q in %q", args[i], cmd)
			}
		case "-d":
			i++
			c.body = args[i]
			if c.contentType == "" {
				c.contentType = "application/x-www-form-urlencoded"
			}
		default:
			require.Empty(t, c.url, "one URL per command: %q", cmd)
			c.url = args[i]
		}
	}
	require.NotEmpty(t, c.url, cmd)
	return c
}

// The README's session works: every command, sent as curl would send it to
// a test server (real-time features in memory; the Redis path is covered
// by the other tests), is answered with a 2xx, and the answers say what
// the README says.
func TestREADME(t *testing.T) {
	cmds := readmeCommands(t)
	require.GreaterOrEqual(t, len(cmds), 10)
	cfg := Config{SnapshotPath: t.TempDir() + "/twoway.snap"}
	_, c := startServer(t, cfg)
	for _, cmd := range cmds {
		u, err := url.Parse(cmd.url)
		require.NoError(t, err, cmd.line)
		token := ""
		if cmd.auth {
			token = testToken
		}
		status, body := c.raw(cmd.method, u.RequestURI(), token, cmd.contentType, []byte(cmd.body))
		assert.True(t, status >= 200 && status < 300, "%s\n→ %d %s", cmd.line, status, body)
		switch {
		case strings.Contains(cmd.url, "/v1/recommendations/zhang.min"):
			var resp recommendationsJSON
			require.NoError(t, json.Unmarshal(body, &resp))
			assert.True(t, resp.Fitted)
			require.NotEmpty(t, resp.Results)
			require.NotNil(t, resp.Results[0].Explanation)
			assert.Equal(t, cmd.auth, resp.Counted, "a read is counted in the exposure ledger exactly when it sends the token")
			var why []string
			for _, r := range resp.Results[0].Explanation.Forward.Reasons {
				why = append(why, r.Text)
			}
			t.Logf("%s\n→ first: %s (%s)", cmd.line, resp.Results[0].ID, strings.Join(why, "; "))
		case strings.Contains(cmd.url, "/v1/recommendations/"):
			var resp recommendationsJSON
			require.NoError(t, json.Unmarshal(body, &resp))
			assert.Equal(t, cmd.auth, resp.Counted, "a read is counted in the exposure ledger exactly when it sends the token")
		case strings.Contains(cmd.url, "/healthz"):
			assert.Contains(t, string(body), `"status":"ok"`)
		}
	}
}
