# shellcheck shell=bash disable=SC2034 # sourced: variables are used by the scripts that source it
# Certificate and kubeconfig generation for the test cluster (sourced by up.sh after lib.sh).
# Everything is made with openssl, EC P-256 keys, one self-signed CA, and is only created when
# missing, so running up.sh again keeps the same identities.

PKI_DIR=$STATE_DIR/pki
CERT_DAYS=${FAAS_WASM_CERT_DAYS:-365}

# new_key FILE: EC P-256 private key (PKCS#8), readable by root only.
new_key() {
	[[ -s $1 ]] && return 0
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null)
}

# issue NAME CN ORG USAGE [SAN...]: key + certificate signed by the cluster CA.
# USAGE is "client", "server" or "both"; SAN entries look like "IP:10.96.0.1" or "DNS:kubernetes".
issue() {
	local name=$1 cn=$2 org=$3 usage=$4
	shift 4
	local key=$PKI_DIR/$name.key crt=$PKI_DIR/$name.crt
	[[ -s $crt ]] && return 0
	new_key "$key"
	local subj="/CN=$cn"
	[[ -n $org ]] && subj="/O=$org$subj"
	local eku
	case $usage in
	client) eku=clientAuth ;;
	server) eku=serverAuth ;;
	both) eku=serverAuth,clientAuth ;;
	*) die "issue $name: unknown usage $usage" ;;
	esac
	local ext
	ext=$(mktemp)
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=$eku"
		if (($#)); then
			local IFS=,
			echo "subjectAltName=$*"
		fi
	} >"$ext"
	openssl req -new -key "$key" -subj "$subj" -out "$PKI_DIR/$name.csr" 2>/dev/null
	openssl x509 -req -in "$PKI_DIR/$name.csr" -CA "$PKI_DIR/ca.crt" -CAkey "$PKI_DIR/ca.key" \
		-CAcreateserial -days "$CERT_DAYS" -sha256 -extfile "$ext" -out "$crt" 2>/dev/null
	rm -f "$ext" "$PKI_DIR/$name.csr"
}

# make_pki: CA, serving and client certificates of every component, service-account keys.
make_pki() {
	mkdir -p "$PKI_DIR"
	chmod 700 "$PKI_DIR"
	if [[ ! -s $PKI_DIR/ca.crt ]]; then
		new_key "$PKI_DIR/ca.key"
		openssl req -x509 -new -key "$PKI_DIR/ca.key" -subj "/CN=faas-wasm-cluster-ca" -days "$CERT_DAYS" \
			-sha256 -addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,digitalSignature,keyCertSign,cRLSign" -out "$PKI_DIR/ca.crt" 2>/dev/null
	fi
	issue apiserver kube-apiserver "" server \
		"IP:$NODE_IP" "IP:$API_SERVICE_IP" IP:127.0.0.1 DNS:localhost DNS:kubernetes DNS:kubernetes.default \
		DNS:kubernetes.default.svc DNS:kubernetes.default.svc.cluster.local "DNS:$NODE_NAME"
	issue apiserver-kubelet-client kube-apiserver-kubelet-client system:masters client
	issue admin faas-wasm-admin system:masters client
	issue kubelet "system:node:$NODE_NAME" system:nodes client
	issue kubelet-serving "system:node:$NODE_NAME" system:nodes server "IP:$NODE_IP" IP:127.0.0.1 "DNS:$NODE_NAME"
	issue controller-manager system:kube-controller-manager "" client
	issue scheduler system:kube-scheduler "" client
	issue kube-proxy system:kube-proxy "" client
	new_key "$PKI_DIR/sa.key"
	[[ -s $PKI_DIR/sa.pub ]] || openssl pkey -in "$PKI_DIR/sa.key" -pubout -out "$PKI_DIR/sa.pub" 2>/dev/null
}

# kubeconfig NAME CERT: a kubeconfig for client certificate CERT with the data embedded, so the
# file can be copied elsewhere.
kubeconfig() {
	local file=$1 cert=$2
	[[ -s $file ]] && return 0
	(
		umask 077
		cat >"$file" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: faas-wasm
  cluster:
    server: https://$NODE_IP:$API_PORT
    certificate-authority-data: $(base64 -w0 "$PKI_DIR/ca.crt")
users:
- name: $cert
  user:
    client-certificate-data: $(base64 -w0 "$PKI_DIR/$cert.crt")
    client-key-data: $(base64 -w0 "$PKI_DIR/$cert.key")
contexts:
- name: faas-wasm
  context:
    cluster: faas-wasm
    user: $cert
current-context: faas-wasm
KCFG
	)
}

# make_kubeconfigs: one per client identity, under $STATE_DIR (admin) and $STATE_DIR/config.
make_kubeconfigs() {
	mkdir -p "$STATE_DIR/config"
	kubeconfig "$KUBECONFIG_ADMIN" admin
	local c
	for c in kubelet controller-manager scheduler kube-proxy; do
		kubeconfig "$STATE_DIR/config/$c.kubeconfig" "$c"
	done
}
