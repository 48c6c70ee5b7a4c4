package provider

import "encoding/json"

// MarshalJSON encodes s with labels and annotations always present: a nil
// map is written as {} rather than null or nothing. faas-netes sends both
// as objects (faas-provider types them as pointers to maps, which it always
// sets), the OpenFaaS gateway passes an empty object through, and the
// OpenFaaS conformance tests dereference annotations without a nil check.
func (s FunctionStatus) MarshalJSON() ([]byte, error) {
	type plain FunctionStatus // plain has no MarshalJSON: no recursion
	p := plain(s)
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	return json.Marshal(p)
}
