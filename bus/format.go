package bus

import (
	"reflect"
	"runtime"
	"strconv"
	"strings"
)

// This file formats the package's messages without package fmt: fmt
// imports os, and bus keeps its dependencies to the runtime's own (see
// docs/architecture.md). format understands the verbs the package uses,
// %d, %s, %v and %q, plus %%; that is all its messages need.

// format is fmt.Sprintf for the verbs above.
func format(f string, args ...any) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' || i+1 == len(f) {
			b.WriteByte(c)
			continue
		}
		i++
		verb := f[i]
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		if len(args) == 0 {
			b.WriteString("%!" + string(verb) + "(MISSING)")
			continue
		}
		arg := args[0]
		args = args[1:]
		if verb == 'q' {
			if s, ok := arg.(string); ok {
				b.WriteString(strconv.Quote(s))
				continue
			}
			if s, ok := arg.(WaitKind); ok {
				b.WriteString(strconv.Quote(string(s)))
				continue
			}
		}
		writeValue(&b, arg)
	}
	return b.String()
}

// writeValue writes v as %v would: an error's Error, a Stringer's String,
// numbers, strings and booleans as themselves, slices as [a b], structs
// as {a b}, pointers as their address, nil as <nil>.
func writeValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("<nil>")
	case error:
		b.WriteString(x.Error())
	case interface{ String() string }:
		b.WriteString(x.String())
	case string:
		b.WriteString(x)
	default:
		writeReflect(b, reflect.ValueOf(v), 0)
	}
}

func writeReflect(b *strings.Builder, v reflect.Value, depth int) {
	if depth > 8 {
		b.WriteString("...")
		return
	}
	if v.CanInterface() && depth > 0 {
		switch x := v.Interface().(type) {
		case error:
			b.WriteString(x.Error())
			return
		case interface{ String() string }:
			b.WriteString(x.String())
			return
		}
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.String:
		b.WriteString(v.String())
	case reflect.Slice, reflect.Array:
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeReflect(b, v.Index(i), depth+1)
		}
		b.WriteByte(']')
	case reflect.Struct:
		b.WriteByte('{')
		for i := range v.NumField() {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeReflect(b, v.Field(i), depth+1)
		}
		b.WriteByte('}')
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("<nil>")
			return
		}
		writeReflect(b, v.Elem(), depth+1)
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		if v.IsNil() {
			b.WriteString("<nil>")
			return
		}
		b.WriteString("0x" + strconv.FormatUint(uint64(v.Pointer()), 16))
	default:
		b.WriteString(v.Type().String())
	}
}

// stack returns the calling goroutine's stack, as runtime/debug.Stack does.
func stack() []byte {
	buf := make([]byte, 4096)
	for {
		n := runtime.Stack(buf, false)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// wrapError is an error with a message of its own that wraps others, as
// fmt.Errorf with %w does.
type wrapError struct {
	msg  string
	errs []error
}

func (e *wrapError) Error() string   { return e.msg }
func (e *wrapError) Unwrap() []error { return e.errs }
