package faascli

import (
	"encoding/base64"
	"net/url"
	"time"
)

// auth is how a request authenticates.
type auth int

const (
	// basicAuth: after `faas-cli login`, every /system call carries the
	// saved credentials (proxy/auth.go BasicAuth; go-sdk BasicAuth).
	basicAuth auth = iota
	// noAuth: no Authorization header (invoke without --auth: go-sdk
	// functions.go adds a Bearer token only with --auth and a token source;
	// ready's GET /healthz).
	noAuth
	// emptyBearer: `Authorization: Bearer ` with nothing after it, what a
	// faas-cli never logged in sends on /system calls (proxy/auth.go
	// NewCLIAuth falls back to a BearerToken with an empty token).
	emptyBearer
	// wrongPassword: `faas-cli login` with a wrong password.
	wrongPassword
)

// User-Agent values faas-cli sends. The version is any 0.18 release.
const (
	// uaCLI: proxy/client.go NewClient, every proxy.Client call.
	uaCLI = "faas-cli/0.18.16"
	// uaInvoke: commands/invoke.go, with runtime.GOOS and GOARCH.
	uaInvoke = "faas-cli/0.18.16 (openfaas; linux; amd64)"
	// uaSDK: go-sdk client.go sets none: Go's default (namespace verbs,
	// invoke's transport), and login's plain http.Client.
	uaSDK = "Go-http-client/1.1"
)

// row is one request faas-cli 0.18 sends, as its source builds it, and what
// the provider must answer.
type row struct {
	verb   string // the faas-cli command line
	source string // the file of faas-cli (or the go-sdk it calls) that builds the request
	method string
	target string // path and query exactly as sent ({{image}} is replaced)
	body   string // exactly as faas-cli marshals it ({{image}} is replaced)
	ua     string
	// ctype is the Content-Type: proxy/client.go newRequest sets
	// application/json whenever there is a body; go-sdk sets none; invoke
	// sets its --content-type (default text/plain).
	ctype  string
	auth   auth
	header []string // more headers, name then value
	want   int      // the status faas-cli counts as success (or the failure it reports)
	// stream: the answer stays open (logs --tail=true): check reads the
	// first NDJSON message only.
	stream bool
	// retry: faas-cli polls (ready NAME): retry until check passes (60
	// attempts at 1s, faas-cli's defaults).
	retry bool
	check func(body []byte) error // decodes as faas-cli does; nil: body not read by faas-cli
}

// requests returns faas-cli 0.18's requests for every verb that talks to a
// provider, in an order a user would run them. since is the time used by
// the logs --since rows.
func requests(now time.Time) []row {
	certFile := "-----BEGIN CERT-----\nAAEC\n-----END CERT-----\n"
	certRaw := base64.StdEncoding.EncodeToString([]byte(certFile))
	since10m := url.QueryEscape(now.Add(-10 * time.Minute).Format(time.RFC3339))
	future := url.QueryEscape(now.Add(time.Hour).Format(time.RFC3339))
	const j = "application/json"
	flagDeploy := `{"service":"echo","image":"{{image}}","labels":null,"annotations":null}`
	stackDeploy := `{"service":"echo","image":"{{image}}","envVars":{"GREETING":"hi"},"constraints":["node.platform.os == linux"],` +
		`"secrets":["api-key","cert"],"labels":{"com.openfaas.scale.min":"1","team":"a"},` +
		`"annotations":{"com.openfaas.runtime":"wasm","note":"n"},"limits":{"memory":"128Mi","cpu":"500m"},` +
		`"requests":{"memory":"64Mi"},"readOnlyRootFilesystem":true}`
	devDeploy := `{"service":"echo","image":"{{image}}","namespace":"dev","labels":null,"annotations":null}`
	return []row{
		{verb: "ready", source: "commands/ready.go", method: "GET", target: "/healthz", ua: uaSDK, auth: noAuth, want: 200},
		{verb: "list (never logged in)", source: "proxy/auth.go, proxy/list.go", method: "GET", target: "/system/functions", ua: uaCLI, auth: emptyBearer, want: 401},
		{verb: "login -p WRONG", source: "commands/login.go", method: "GET", target: "/system/functions", ua: uaSDK, auth: wrongPassword, want: 401},
		{verb: "login --password-stdin", source: "commands/login.go", method: "GET", target: "/system/functions", ua: uaSDK, want: 200},

		{verb: "secret create api-key --from-literal s3cret", source: "commands/secret_create.go, proxy/secret.go", method: "POST", target: "/system/secrets",
			body: `{"name":"api-key","value":"s3cret"}`, ua: uaCLI, ctype: j, want: 202},
		{verb: "secret create api-key (again)", source: "proxy/secret.go CreateSecret", method: "POST", target: "/system/secrets",
			body: `{"name":"api-key","value":"s3cret"}`, ua: uaCLI, ctype: j, want: 409},
		{verb: "secret create api-key --replace (the PUT after 409)", source: "commands/secret_create.go", method: "PUT", target: "/system/secrets",
			body: `{"name":"api-key","value":"s3cret2"}`, ua: uaCLI, ctype: j, want: 202},
		{verb: "secret create cert --from-file cert.pem (value trimmed, rawValue not)", source: "commands/secret_create.go", method: "POST", target: "/system/secrets",
			body: `{"name":"cert","value":"-----BEGIN CERT-----\nAAEC\n-----END CERT-----","rawValue":"` + certRaw + `"}`, ua: uaCLI, ctype: j, want: 202},
		{verb: "secret list", source: "proxy/secret.go GetSecretList", method: "GET", target: "/system/secrets", ua: uaCLI, want: 200,
			check: secretNames("api-key", "cert")},
		{verb: "secret update api-key --from-literal s3cret3", source: "proxy/secret.go UpdateSecret", method: "PUT", target: "/system/secrets",
			body: `{"name":"api-key","value":"s3cret3"}`, ua: uaCLI, ctype: j, want: 202},
		{verb: "secret update nope", source: "proxy/secret.go UpdateSecret", method: "PUT", target: "/system/secrets",
			body: `{"name":"nope","value":"x"}`, ua: uaCLI, ctype: j, want: 404},

		// deploy --update=true (the default): PUT, on 404 POST the same body.
		{verb: "deploy --image IMG --name echo (PUT)", source: "commands/deploy.go, proxy/deploy.go", method: "PUT", target: "/system/functions",
			body: flagDeploy, ua: uaCLI, ctype: j, want: 404},
		{verb: "deploy --image IMG --name echo (POST after 404)", source: "proxy/deploy.go DeployFunction", method: "POST", target: "/system/functions",
			body: flagDeploy, ua: uaCLI, ctype: j, want: 202},
		{verb: "ready echo", source: "commands/ready.go, proxy/describe.go", method: "GET", target: "/system/function/echo?usage=1", ua: uaCLI, want: 200,
			retry: true, check: status(func(s functionStatus) bool { return s.AvailableReplicas > 0 })},
		{verb: "list [--verbose] [--sort]", source: "commands/list.go, proxy/list.go", method: "GET", target: "/system/functions", ua: uaCLI, want: 200,
			check: listHas("echo", "openfaas-fn")},
		{verb: "list -n openfaas-fn", source: "proxy/list.go", method: "GET", target: "/system/functions?namespace=openfaas-fn", ua: uaCLI, want: 200,
			check: listHas("echo", "openfaas-fn")},
		{verb: "describe echo", source: "commands/describe.go, proxy/describe.go", method: "GET", target: "/system/function/echo?usage=1", ua: uaCLI, want: 200,
			check: status(func(s functionStatus) bool {
				return s.Name == "echo" && s.Namespace == "openfaas-fn" && s.Replicas >= 1 && s.Labels != nil && s.Annotations != nil && !s.CreatedAt.IsZero()
			})},
		{verb: "describe nope", source: "proxy/describe.go", method: "GET", target: "/system/function/nope?usage=1", ua: uaCLI, want: 404},
		{verb: "invoke echo --query name=faas <<< hello", source: "commands/invoke.go, go-sdk functions.go InvokeFunction", method: "POST",
			target: "/function/echo.openfaas-fn?name=faas", body: "hello", ua: uaInvoke, ctype: "text/plain", auth: noAuth, want: 200,
			check: contains("method=POST", "query=name=faas", "body=hello")},
		{verb: "invoke echo --method GET -H 'X-Call-Id: c1'", source: "commands/invoke.go", method: "GET", target: "/function/echo.openfaas-fn",
			ua: uaInvoke, ctype: "text/plain", auth: noAuth, header: []string{"X-Call-Id", "c1"}, want: 200, check: contains("method=GET", "call-id=c1")},
		{verb: "invoke echo --async", source: "commands/invoke.go, go-sdk functions.go InvokeFunction", method: "POST",
			target: "/async-function/echo.openfaas-fn", body: "later", ua: uaInvoke, ctype: "text/plain", auth: noAuth, want: 202},
		{verb: "invoke echo (an empty Authorization: Bearer reaches the provider)", source: "internal/handlers/invoke.go drops it", method: "POST",
			target: "/function/echo.openfaas-fn", body: "x", ua: uaInvoke, ctype: "text/plain", auth: emptyBearer, want: 200, check: contains("body=x")},

		{verb: "deploy -f stack.yml (update, every field)", source: "proxy/deploy.go deploy", method: "PUT", target: "/system/functions",
			body: stackDeploy, ua: uaCLI, ctype: j, want: 202},
		{verb: "describe echo (what was deployed comes back)", source: "proxy/describe.go", method: "GET", target: "/system/function/echo?usage=1", ua: uaCLI, want: 200,
			retry: true, check: deployedFields},
		{verb: "invoke echo --query secret=cert", source: "commands/invoke.go", method: "POST", target: "/function/echo.openfaas-fn?secret=cert",
			ua: uaInvoke, ctype: "text/plain", auth: noAuth, want: 200, check: equals(certFile)},
		{verb: "invoke echo (envVars)", source: "commands/invoke.go", method: "POST", target: "/function/echo.openfaas-fn",
			ua: uaInvoke, ctype: "text/plain", auth: noAuth, want: 200, check: contains("env=hi")},
		{verb: "deploy --update=false (POST on an existing function)", source: "proxy/deploy.go", method: "POST", target: "/system/functions",
			body: flagDeploy, ua: uaCLI, ctype: j, want: 409},
		// deploy --replace: DELETE, then PUT; on 404 deploy again with
		// update=false, which deletes again (404, ignored) and POSTs.
		{verb: "deploy --replace (DELETE)", source: "proxy/deploy.go, proxy/delete.go", method: "DELETE", target: "/system/functions",
			body: `{"functionName":"echo"}`, ua: uaCLI, ctype: j, want: 202},
		{verb: "deploy --replace (PUT)", source: "proxy/deploy.go", method: "PUT", target: "/system/functions", body: flagDeploy, ua: uaCLI, ctype: j, want: 404},
		{verb: "deploy --replace (DELETE again)", source: "proxy/deploy.go", method: "DELETE", target: "/system/functions",
			body: `{"functionName":"echo"}`, ua: uaCLI, ctype: j, want: 404},
		{verb: "deploy --replace (POST)", source: "proxy/deploy.go", method: "POST", target: "/system/functions", body: flagDeploy, ua: uaCLI, ctype: j, want: 202},
		{verb: "invoke echo (a log line)", source: "commands/invoke.go", method: "POST", target: "/function/echo.openfaas-fn",
			ua: uaInvoke, ctype: "text/plain", auth: noAuth, want: 200, retry: true},

		// logs: --tail (follow, default true) → follow=true|false, --lines
		// (default -1) → tail, --since/--since-time → since (RFC 3339);
		// --name, --instance, --output, --time-format only format what is
		// printed: every message must carry name and instance.
		{verb: "logs echo --tail=false [--name] [--instance] [--output json]", source: "commands/logs.go, proxy/logs.go", method: "GET",
			target: "/system/logs?follow=false&name=echo&tail=-1", ua: uaCLI, want: 200, retry: true, check: logLines(1, -1, "echo", "openfaas-fn")},
		{verb: "logs echo --tail=false --lines=1", source: "proxy/logs.go reqAsQueryValues", method: "GET",
			target: "/system/logs?follow=false&name=echo&tail=1", ua: uaCLI, want: 200, check: logLines(1, 1, "echo", "openfaas-fn")},
		{verb: "logs echo --tail=false --since=10m", source: "commands/logs.go sinceValue", method: "GET",
			target: "/system/logs?follow=false&name=echo&since=" + since10m + "&tail=-1", ua: uaCLI, want: 200, check: logLines(1, -1, "echo", "openfaas-fn")},
		{verb: "logs echo --tail=false --since-time=(in an hour)", source: "commands/logs.go sinceValue", method: "GET",
			target: "/system/logs?follow=false&name=echo&since=" + future + "&tail=-1", ua: uaCLI, want: 200, check: logLines(0, 0, "echo", "openfaas-fn")},
		{verb: "logs echo (follows)", source: "proxy/logs.go", method: "GET", target: "/system/logs?follow=true&name=echo&tail=-1", ua: uaCLI, want: 200,
			stream: true, check: logLines(1, 1, "echo", "openfaas-fn")},
		{verb: "logs nope --tail=false", source: "proxy/logs.go", method: "GET", target: "/system/logs?follow=false&name=nope&tail=-1", ua: uaCLI, want: 404},

		{verb: "namespace create dev", source: "commands/namespace_create.go, go-sdk client.go CreateNamespace", method: "POST", target: "/system/namespace/",
			body: `{"name":"dev","annotations":{"openfaas":"1"},"labels":{"openfaas":"1"}}`, ua: uaSDK, want: 202},
		{verb: "namespace list", source: "commands/namespaces_list.go, go-sdk GetNamespaces", method: "GET", target: "/system/namespaces", ua: uaSDK, want: 200,
			check: namespaces("dev", "openfaas-fn")},
		{verb: "namespace get dev", source: "commands/namespace_get.go, go-sdk GetNamespace", method: "GET", target: "/system/namespace/dev", ua: uaSDK, want: 200,
			check: namespace(func(n functionNamespace) bool { return n.Name == "dev" && n.Labels["openfaas"] == "1" })},
		{verb: "namespace update dev --annotation demo=true", source: "commands/namespace_update.go, go-sdk UpdateNamespace", method: "PUT",
			target: "/system/namespace/dev", body: `{"name":"dev","annotations":{"demo":"true","openfaas":"1"},"labels":{"openfaas":"1"}}`, ua: uaSDK, want: 202},
		{verb: "namespace get dev (updated)", source: "go-sdk GetNamespace", method: "GET", target: "/system/namespace/dev", ua: uaSDK, want: 200,
			check: namespace(func(n functionNamespace) bool { return n.Annotations["demo"] == "true" })},
		{verb: "deploy -n dev (PUT)", source: "proxy/deploy.go", method: "PUT", target: "/system/functions", body: devDeploy, ua: uaCLI, ctype: j, want: 404},
		{verb: "deploy -n dev (POST)", source: "proxy/deploy.go", method: "POST", target: "/system/functions", body: devDeploy, ua: uaCLI, ctype: j, want: 202},
		{verb: "list -n dev", source: "proxy/list.go", method: "GET", target: "/system/functions?namespace=dev", ua: uaCLI, want: 200, check: listHas("echo", "dev")},
		{verb: "describe echo -n dev", source: "proxy/describe.go", method: "GET", target: "/system/function/echo?namespace=dev&usage=1", ua: uaCLI, want: 200,
			retry: true, check: status(func(s functionStatus) bool { return s.Namespace == "dev" && s.AvailableReplicas > 0 })},
		{verb: "invoke echo -n dev", source: "go-sdk functions.go InvokeFunction", method: "POST", target: "/function/echo.dev", body: "d",
			ua: uaInvoke, ctype: "text/plain", auth: noAuth, want: 200, check: contains("body=d")},
		{verb: "logs echo -n dev --tail=false", source: "proxy/logs.go", method: "GET", target: "/system/logs?follow=false&name=echo&namespace=dev&tail=-1",
			ua: uaCLI, want: 200, retry: true, check: logLines(1, -1, "echo", "dev")},
		{verb: "secret create k -n dev", source: "commands/secret_create.go", method: "POST", target: "/system/secrets",
			body: `{"name":"k","namespace":"dev","value":"v"}`, ua: uaCLI, ctype: j, want: 202},
		{verb: "secret list -n dev", source: "proxy/secret.go GetSecretList", method: "GET", target: "/system/secrets?namespace=dev", ua: uaCLI, want: 200,
			check: secretNames("k")},

		{verb: "secret remove cert", source: "commands/secret_remove.go, proxy/secret.go RemoveSecret", method: "DELETE", target: "/system/secrets",
			body: `{"name":"cert"}`, ua: uaCLI, ctype: j, want: 202},
		{verb: "secret remove cert (again)", source: "proxy/secret.go RemoveSecret", method: "DELETE", target: "/system/secrets",
			body: `{"name":"cert"}`, ua: uaCLI, ctype: j, want: 404},
		{verb: "version", source: "commands/version.go, proxy/version.go", method: "GET", target: "/system/info", ua: uaCLI, want: 200, check: gatewayInfoOK},
		{verb: "remove echo", source: "commands/remove.go, proxy/delete.go", method: "DELETE", target: "/system/functions",
			body: `{"functionName":"echo"}`, ua: uaCLI, ctype: j, want: 202},
		{verb: "remove echo (again)", source: "proxy/delete.go", method: "DELETE", target: "/system/functions",
			body: `{"functionName":"echo"}`, ua: uaCLI, ctype: j, want: 404},
		{verb: "remove echo -n dev", source: "proxy/delete.go", method: "DELETE", target: "/system/functions",
			body: `{"functionName":"echo","namespace":"dev"}`, ua: uaCLI, ctype: j, want: 202},
		{verb: "namespace remove dev", source: "commands/namespace_remove.go, go-sdk DeleteNamespace", method: "DELETE", target: "/system/namespace/dev",
			body: `{"name":"dev","labels":{"openfaas":"1"}}`, ua: uaSDK, want: 202},
		{verb: "namespace get dev (removed)", source: "go-sdk GetNamespace", method: "GET", target: "/system/namespace/dev", ua: uaSDK, want: 404},
	}
}
