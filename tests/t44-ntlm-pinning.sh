#!/bin/sh
# NTLM and Negotiate authenticate the connection, not the request: once
# an origin challenges a client with either (a 401), or a client sends
# either, that client's upstream connection is its own until one of the
# two closes, never pooled for another client. The origin's /auth binds
# a challenge and the login that answers it to its connection.
#   - the answer reaches the challenged connection even when another
#     client's request took the pool meanwhile;
#   - the client stays logged in on later requests; no other client, at
#     the same time or after the first one left, is served as that user;
#   - Negotiate alike;
#   - the origin ending the pinned connection (Connection: close, or a
#     close while the client is idle) ends the client's connection, so
#     that it logs in again on a new one.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_origin
# One worker: one pool, which every client here would share.
mk_conf "$WORK/t44.conf" <<EOF2
workers 1
$(edge_listener)
EOF2
start_tlsfloor "$WORK/t44.conf"

pycheck '
import http.client, socket, ssl, threading, time
port, ca, host = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)

class Conn(http.client.HTTPSConnection):
    def connect(self):
        raw = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.sock = ctx.wrap_socket(raw, server_hostname=host)

def client():
    return Conn(host, port, timeout=20)

def get(c, path, auth=None):
    headers = {"Authorization": auth} if auth else {}
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    return r.status, r.getheader("WWW-Authenticate"), r.read()

def login(c, scheme, user):
    st, chal, _ = get(c, "/auth", scheme + " hello")
    if st != 401 or not chal or not chal.startswith(scheme + " c"):
        sys.exit("%s hello: %r %r" % (scheme, st, chal))
    return chal.split(" ", 1)[1]

def answer(c, scheme, challenge, user):
    st, _, body = get(c, "/auth", "%s answer-%s-%s" % (scheme, challenge, user))
    if st != 200 or json.loads(body)["user"] != user:
        sys.exit("%s answer for %s: %r %r" % (scheme, user, st, body))

def anonymous(c, what):
    st, chal, body = get(c, "/auth")
    if st != 401:
        sys.exit("%s: served as %r (status %d)" % (what, body, st))

# NTLM, with another client taking the pool between challenge and answer.
a = client()
chal = login(a, "NTLM", "alice")
b = client()
slow = threading.Thread(target=lambda: get(b, "/slow/1500"))
slow.start()
time.sleep(0.5)
answer(a, "NTLM", chal, "alice")
slow.join()
for i in range(3):
    st, _, body = get(a, "/auth")
    if st != 200 or json.loads(body)["user"] != "alice":
        sys.exit("alice, request %d after the login: %r %r" % (i, st, body))
anonymous(b, "another client while alice is logged in")
anonymous(client(), "a new client while alice is logged in")
a.close()
time.sleep(0.3)
for i in range(3):
    anonymous(client(), "a client after alice left (%d)" % i)
anonymous(b, "the other client after alice left")

# Negotiate.
e = client()
answer(e, "Negotiate", login(e, "Negotiate", "bob"), "bob")
st, _, body = get(e, "/auth")
if st != 200 or json.loads(body)["user"] != "bob":
    sys.exit("bob after the login: %r %r" % (st, body))
e.close()

# The origin ends the pinned connection: so does the gateway.
def ended(c, what):
    try:
        st, _, body = get(c, "/auth")
    except (http.client.HTTPException, OSError):
        return
    sys.exit("%s: the client connection went on (%d %r)" % (what, st, body))

f = client()
answer(f, "NTLM", login(f, "NTLM", "carol"), "carol")
st, _, _ = get(f, "/auth?close=1")
if st != 200:
    sys.exit("carol, ?close=1: %r" % st)
ended(f, "after the origin closed with Connection: close")

g = client()
answer(g, "NTLM", login(g, "NTLM", "dave"), "dave")
st, _, _ = get(g, "/auth?close-after=200")
if st != 200:
    sys.exit("dave, ?close-after: %r" % st)
time.sleep(1.0)
ended(g, "after the origin closed the idle pinned connection")
' "$TF_PORT" "$PKI/ca.pem" "$HOSTNAME_TF" || fail "pinning"

assert_eq "$(origin_stats auth_bad_challenge)" 0 "answers on a connection that was not challenged"
assert_eq "$(origin_stats auth_ok)" 4 "logins"
tf_alive
stop_tlsfloor
