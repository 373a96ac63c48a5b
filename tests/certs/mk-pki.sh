#!/bin/sh
# Generates a throwaway PKI for tlsfloor's tests and demo into DIR:
#
#   ca.pem ca.key              the test CA (trusted by clients and upstream-ca)
#   rogue-ca.pem rogue-ca.key  another CA, trusted by nobody (wrong-CA tests)
#   gateway-rsa.pem/.key       RSA 2048  mail.contoso.test *.contoso.test localhost 127.0.0.1
#   gateway-ecdsa.pem/.key     P-256     same names
#   other-rsa.pem/.key         RSA 2048  other.fabrikam.test (SNI selection)
#   origin.pem/.key            RSA 2048  outlook.office365.test localhost 127.0.0.1
#
# Leaf .pem files hold the leaf, then the CA that issued it. Idempotent: does
# nothing when DIR/ca.pem exists. Safe to run concurrently: the files are made
# in a private folder that is renamed into place.
#
# Usage: mk-pki.sh DIR
set -eu

if [ $# -ne 1 ]; then
	echo "usage: mk-pki.sh DIR" >&2
	exit 2
fi
dir=$1
[ -f "$dir/ca.pem" ] && exit 0

OPENSSL=${OPENSSL:-openssl}
parent=$(dirname "$dir")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.pki.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 077

days=3650
# Leaves live 397 days, the most the CA/Browser Forum lets a public CA
# issue for, and name a CRL (never fetched), so that scanners judge them
# as they would a real one (t32).
leaf_days=397
leaf_names="DNS:mail.contoso.test,DNS:*.contoso.test,DNS:localhost,IP:127.0.0.1"
origin_names="DNS:outlook.office365.test,DNS:localhost,IP:127.0.0.1"

rsa_key() {
	"$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$1" 2>/dev/null
}

ec_key() {
	"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>/dev/null
}

serial() {
	echo "0x$("$OPENSSL" rand -hex 8)"
}

# ca NAME KEYTYPE CN
ca() {
	"$2" "$tmp/$1.key"
	"$OPENSSL" req -x509 -new -key "$tmp/$1.key" -out "$tmp/$1.pem" \
	    -days "$days" -set_serial "$(serial)" -subj "/O=tlsfloor tests/CN=$3" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -addext "subjectKeyIdentifier=hash" 2>/dev/null
}

# leaf NAME KEYTYPE CN SANS ISSUER
leaf() {
	"$2" "$tmp/$1.key"
	"$OPENSSL" req -new -key "$tmp/$1.key" -out "$tmp/$1.csr" \
	    -subj "/O=tlsfloor tests/CN=$3" 2>/dev/null
	cat >"$tmp/$1.ext" <<EOF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $4
crlDistributionPoints = URI:http://crl.contoso.test/tlsfloor-test-ca.crl
EOF
	"$OPENSSL" x509 -req -in "$tmp/$1.csr" -CA "$tmp/$5.pem" \
	    -CAkey "$tmp/$5.key" -set_serial "$(serial)" -days "$leaf_days" \
	    -sha256 -extfile "$tmp/$1.ext" -out "$tmp/$1.crt" 2>/dev/null
	cat "$tmp/$1.crt" "$tmp/$5.pem" >"$tmp/$1.pem"
	rm -f "$tmp/$1.csr" "$tmp/$1.ext" "$tmp/$1.crt"
}

# The CAs are P-256 to keep this quick; the leaves cover both key types.
ca ca ec_key "tlsfloor test CA"
ca rogue-ca ec_key "tlsfloor rogue CA"
leaf gateway-rsa rsa_key mail.contoso.test "$leaf_names" ca
leaf gateway-ecdsa ec_key mail.contoso.test "$leaf_names" ca
leaf other-rsa rsa_key other.fabrikam.test "DNS:other.fabrikam.test" ca
leaf origin rsa_key outlook.office365.test "$origin_names" ca

# Readable by whoever runs the tests (a daemon that drops privileges too).
chmod 644 "$tmp"/*.pem "$tmp"/*.key
chmod 755 "$tmp"

# rename(2) replaces DIR when it is missing or empty; when it holds other
# files (the demo's logs), move the files in one by one with ca.pem last,
# since ca.pem is what says "done".
if mv -T "$tmp" "$dir" 2>/dev/null; then
	trap - EXIT
	exit 0
fi
[ -f "$dir/ca.pem" ] && exit 0
mkdir -p "$dir"
for f in "$tmp"/*; do
	case $f in */ca.pem) continue ;; esac
	mv -f "$f" "$dir/"
done
mv -f "$tmp/ca.pem" "$dir/ca.pem"
