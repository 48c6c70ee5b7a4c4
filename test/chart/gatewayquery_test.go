package charttest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// TestGatewayQueryURL pins the exact request line the gateway sends (see
// GatewayInvocationQuery for where it is read from).
func TestGatewayQueryURL(t *testing.T) {
	want := "http://prom:9090/api/v1/query?query=" +
		"sum%28gateway_function_invocation_total%7Bfunction_name%3D~%22.%2A.openfaas-fn%22%7D%29+by+%28function_name%29"
	if got := GatewayQueryURL("prom:9090", "openfaas-fn"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestInvocationCounts decodes Prometheus's vector answer the way the
// gateway does, and reports Prometheus's errors. The real Prometheus
// answers in test/chart/cluster.sh.
func TestInvocationCounts(t *testing.T) {
	var gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery = r.URL.Query().Get("query")
		switch r.URL.Query().Get("query") {
		case GatewayInvocationQuery("fn"):
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[
				{"metric":{"function_name":"a.fn"},"value":[1765000000.1,"7"]},
				{"metric":{"function_name":"b.fn"},"value":[1765000000.1,"2.5"]}]}}`))
		case GatewayInvocationQuery("bad"):
			_, _ = w.Write([]byte(`{"data":{"result":[{"metric":{"function_name":"a.bad"},"value":[1,7]}]}}`))
		default:
			http.Error(w, `{"status":"error","error":"parse error"}`, http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	got, err := InvocationCounts(context.Background(), srv.Client(), host, "fn")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]float64{"a.fn": 7, "b.fn": 2.5}; !reflect.DeepEqual(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	if gotQuery != GatewayInvocationQuery("fn") {
		t.Errorf("Prometheus received query %q", gotQuery)
	}
	for _, ns := range []string{"bad", "other"} {
		if _, err := InvocationCounts(context.Background(), srv.Client(), host, ns); err == nil {
			t.Errorf("namespace %s: no error", ns)
		}
	}
}
