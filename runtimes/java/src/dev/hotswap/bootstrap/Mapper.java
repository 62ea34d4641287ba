/*
 * The bootstrap's JSON mapper, as Lambda's Java runtime maps events and results: a parsed event
 * (Json's plain values) becomes the handler's input type (POJOs with setters or public fields,
 * records, Map, List/Set/arrays, String, boxed and primitive numbers, booleans, enums, nested in
 * any way; property names matched case-insensitively, unknown ones ignored), and a handler's
 * result becomes plain values again (getters, public fields, record components; null stays null).
 */
package dev.hotswap.bootstrap;

import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

public final class Mapper {
    private Mapper() {}

    /** The value cannot become the requested type; the message says which property and why. */
    public static final class MappingException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MappingException(String message) {
            super(message);
        }
    }

    // ---- JSON value -> Java type ---------------------------------------------------------

    public static Object fromJson(Object v, Type type) {
        return convert(v, type, "$");
    }

    private static Object convert(Object v, Type type, String where) {
        if (type instanceof TypeVariable || type instanceof WildcardType) type = Object.class;
        if (type instanceof GenericArrayType) {
            Type item = ((GenericArrayType) type).getGenericComponentType();
            return toArray(v, rawClass(item), item, where);
        }
        Class<?> raw = rawClass(type);
        if (v == null) return raw.isPrimitive() ? defaultOf(raw) : null;
        if (raw == Object.class) return v;
        if (raw == String.class || raw == CharSequence.class) {
            if (v instanceof Map || v instanceof List) throw mismatch(where, "a string", v);
            return String.valueOf(v);
        }
        if (raw == boolean.class || raw == Boolean.class) {
            if (v instanceof Boolean) return v;
            if ("true".equals(v) || "false".equals(v)) return Boolean.valueOf((String) v);
            if (v instanceof Number) return ((Number) v).intValue() != 0;
            throw mismatch(where, "a boolean", v);
        }
        if (raw.isPrimitive() || Number.class.isAssignableFrom(raw)) return number(v, raw, where);
        if (raw == char.class || raw == Character.class) {
            if (v instanceof String && ((String) v).length() == 1) return ((String) v).charAt(0);
            throw mismatch(where, "a one-character string", v);
        }
        if (raw.isEnum()) {
            String name = String.valueOf(v);
            for (Object c : raw.getEnumConstants()) if (((Enum<?>) c).name().equals(name)) return c;
            throw new MappingException(where + ": \"" + name + "\" is not one of the values of " + raw.getName());
        }
        if (raw == byte[].class && v instanceof String) {
            try {
                return Base64.getDecoder().decode((String) v);
            } catch (IllegalArgumentException e) {
                throw new MappingException(where + ": not base64 text for a byte[]");
            }
        }
        if (raw.isArray()) return toArray(v, raw.getComponentType(), raw.getComponentType(), where);
        if (raw == Optional.class) {
            return Optional.ofNullable(convert(v, typeArg(type, 0), where));
        }
        if (Map.class.isAssignableFrom(raw)) return toMap(v, raw, type, where);
        if (Collection.class.isAssignableFrom(raw) || raw == Iterable.class) return toCollection(v, raw, type, where);
        if (raw.isRecord()) return toRecord(v, raw, type, where);
        if (raw.isInterface() || Modifier.isAbstract(raw.getModifiers())) {
            if (raw.isInstance(v)) return v;
            throw new MappingException(where + ": cannot construct an instance of the abstract type " + raw.getName());
        }
        return toPojo(v, raw, type, where);
    }

    private static MappingException mismatch(String where, String wanted, Object v) {
        return new MappingException(where + ": expected " + wanted + ", got " + describe(v));
    }

    private static String describe(Object v) {
        if (v instanceof Map) return "an object";
        if (v instanceof List) return "an array";
        if (v instanceof String) return "a string";
        if (v instanceof Boolean) return "a boolean";
        if (v instanceof Number) return "a number";
        return String.valueOf(v);
    }

    private static Object defaultOf(Class<?> p) {
        if (p == boolean.class) return false;
        if (p == char.class) return '\0';
        return number(0, p, "$");
    }

    private static Object number(Object v, Class<?> raw, String where) {
        Number n;
        if (v instanceof Number) n = (Number) v;
        else if (v instanceof String) {
            try {
                n = new BigDecimal(((String) v).trim());
            } catch (NumberFormatException e) {
                throw mismatch(where, "a number", v);
            }
        } else throw mismatch(where, "a number", v);
        if (raw == int.class || raw == Integer.class) return n.intValue();
        if (raw == long.class || raw == Long.class) return n.longValue();
        if (raw == double.class || raw == Double.class) return n.doubleValue();
        if (raw == float.class || raw == Float.class) return n.floatValue();
        if (raw == short.class || raw == Short.class) return n.shortValue();
        if (raw == byte.class || raw == Byte.class) return n.byteValue();
        if (raw == BigDecimal.class) return n instanceof BigDecimal ? n : new BigDecimal(n.toString());
        if (raw == BigInteger.class) return n instanceof BigInteger ? n : new BigDecimal(n.toString()).toBigInteger();
        return n; // Number itself
    }

    private static Object toArray(Object v, Class<?> item, Type itemType, String where) {
        List<?> list = v instanceof List ? (List<?>) v : List.of(v); // a single value as a one-element array, as Jackson may
        Object arr = Array.newInstance(item, list.size());
        for (int k = 0; k < list.size(); k++) Array.set(arr, k, convert(list.get(k), itemType, where + "[" + k + "]"));
        return arr;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object toMap(Object v, Class<?> raw, Type type, String where) {
        if (!(v instanceof Map)) throw mismatch(where, "an object", v);
        Type kt = typeArg(type, 0), vt = typeArg(type, 1);
        Map out;
        if (!raw.isInterface() && !Modifier.isAbstract(raw.getModifiers())) out = (Map) instantiate(raw, where);
        else if (java.util.SortedMap.class.isAssignableFrom(raw)) out = new TreeMap();
        else if (java.util.concurrent.ConcurrentMap.class.isAssignableFrom(raw)) out = new ConcurrentHashMap();
        else out = new LinkedHashMap();
        for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) {
            Object key = rawClass(kt) == Object.class ? e.getKey() : convert(e.getKey(), kt, where + "." + e.getKey());
            out.put(key, convert(e.getValue(), vt, where + "." + e.getKey()));
        }
        return out;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object toCollection(Object v, Class<?> raw, Type type, String where) {
        List<?> list = v instanceof List ? (List<?>) v : List.of(v);
        Type it = typeArg(type, 0);
        Collection out;
        if (!raw.isInterface() && !Modifier.isAbstract(raw.getModifiers())) out = (Collection) instantiate(raw, where);
        else if (java.util.SortedSet.class.isAssignableFrom(raw)) out = new java.util.TreeSet();
        else if (Set.class.isAssignableFrom(raw)) out = new LinkedHashSet();
        else out = new ArrayList();
        for (int k = 0; k < list.size(); k++) out.add(convert(list.get(k), it, where + "[" + k + "]"));
        return out;
    }

    private static Object toRecord(Object v, Class<?> raw, Type type, String where) {
        if (!(v instanceof Map)) throw mismatch(where, "an object", v);
        Map<String, Object> props = lowerKeys(v);
        RecordComponent[] rc = raw.getRecordComponents();
        Class<?>[] types = new Class<?>[rc.length];
        Object[] args = new Object[rc.length];
        for (int k = 0; k < rc.length; k++) {
            types[k] = rc[k].getType();
            Type t = resolve(rc[k].getGenericType(), raw, type);
            String key = rc[k].getName().toLowerCase(Locale.ROOT);
            args[k] = convert(props.get(key), t, where + "." + rc[k].getName());
        }
        try {
            Constructor<?> c = raw.getDeclaredConstructor(types);
            c.setAccessible(true);
            return c.newInstance(args);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new MappingException(where + ": cannot construct the record " + raw.getName() + ": " + rootMessage(e));
        }
    }

    private static Object toPojo(Object v, Class<?> raw, Type type, String where) {
        if (!(v instanceof Map)) throw mismatch(where, "an object (for " + raw.getName() + ")", v);
        Object target = instantiate(raw, where);
        Map<String, Setter> setters = setters(raw);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        for (Map.Entry<String, Object> e : m.entrySet()) {
            Setter s = setters.get(e.getKey().toLowerCase(Locale.ROOT));
            if (s == null) continue; // unknown properties are ignored, as Lambda's serializer does
            Object value = convert(e.getValue(), resolve(s.type, raw, type), where + "." + e.getKey());
            try {
                if (s.method != null) s.method.invoke(target, value);
                else s.field.set(target, value);
            } catch (ReflectiveOperationException | RuntimeException ex) {
                throw new MappingException(where + "." + e.getKey() + ": cannot set it on " + raw.getName() + ": " + rootMessage(ex));
            }
        }
        return target;
    }

    private static Object instantiate(Class<?> raw, String where) {
        try {
            Constructor<?> c = raw.getDeclaredConstructor();
            c.setAccessible(true);
            return c.newInstance();
        } catch (NoSuchMethodException e) {
            throw new MappingException(where + ": " + raw.getName() + " has no constructor without arguments");
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new MappingException(where + ": cannot construct " + raw.getName() + ": " + rootMessage(e));
        }
    }

    private static final class Setter {
        final Method method;
        final Field field;
        final Type type;

        Setter(Method method, Field field, Type type) {
            this.method = method;
            this.field = field;
            this.type = type;
        }
    }

    private static final Map<Class<?>, Map<String, Setter>> SETTERS = new ConcurrentHashMap<>();

    /** Lower-cased property name -> setter (setX with one argument) or public field; setters win. */
    private static Map<String, Setter> setters(Class<?> raw) {
        return SETTERS.computeIfAbsent(raw, c -> {
            Map<String, Setter> out = new HashMap<>();
            for (Field f : c.getFields()) {
                if (Modifier.isStatic(f.getModifiers()) || Modifier.isFinal(f.getModifiers())) continue;
                out.put(f.getName().toLowerCase(Locale.ROOT), new Setter(null, f, f.getGenericType()));
            }
            for (Method m : c.getMethods()) {
                String n = m.getName();
                if (Modifier.isStatic(m.getModifiers()) || m.getParameterCount() != 1 || n.length() < 4 || !n.startsWith("set")) continue;
                m.setAccessible(true);
                out.put(n.substring(3).toLowerCase(Locale.ROOT), new Setter(m, null, m.getGenericParameterTypes()[0]));
            }
            return out;
        });
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> lowerKeys(Object v) {
        Map<String, Object> out = new HashMap<>();
        for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) out.putIfAbsent(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
        return out;
    }

    static Class<?> rawClass(Type t) {
        if (t instanceof Class) return (Class<?>) t;
        if (t instanceof ParameterizedType) return (Class<?>) ((ParameterizedType) t).getRawType();
        if (t instanceof GenericArrayType) return Array.newInstance(rawClass(((GenericArrayType) t).getGenericComponentType()), 0).getClass();
        return Object.class;
    }

    private static Type typeArg(Type t, int k) {
        if (t instanceof ParameterizedType) {
            Type[] a = ((ParameterizedType) t).getActualTypeArguments();
            if (k < a.length) return a[k];
        }
        return Object.class;
    }

    /** A member's declared type with the owner's type variables replaced by the owner type's arguments. */
    private static Type resolve(Type member, Class<?> raw, Type owner) {
        if (member instanceof TypeVariable && owner instanceof ParameterizedType) {
            TypeVariable<?>[] vars = raw.getTypeParameters();
            Type[] args = ((ParameterizedType) owner).getActualTypeArguments();
            for (int k = 0; k < vars.length && k < args.length; k++) if (vars[k].getName().equals(((TypeVariable<?>) member).getName())) return args[k];
        }
        return member;
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    // ---- Java value -> JSON value ---------------------------------------------------------

    /** A handler's result as JSON text. */
    public static String toJsonText(Object result) {
        StringBuilder b = new StringBuilder();
        Json.write(b, toPlain(result, new IdentityHashMap<>(), 0));
        return b.toString();
    }

    private static final int MAX_DEPTH = 500;

    private static Object toPlain(Object v, IdentityHashMap<Object, Boolean> path, int depth) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Number || v instanceof Character) return v;
        if (depth > MAX_DEPTH) throw new MappingException("the result is nested more than " + MAX_DEPTH + " levels deep (a cycle?)");
        if (v instanceof Enum) return ((Enum<?>) v).name();
        if (v instanceof byte[]) return Base64.getEncoder().encodeToString((byte[]) v);
        if (v instanceof CharSequence) return v.toString();
        if (v instanceof Optional) return toPlain(((Optional<?>) v).orElse(null), path, depth + 1);
        if (v instanceof java.time.temporal.TemporalAccessor || v instanceof java.util.UUID || v instanceof java.net.URI) return v.toString();
        if (v instanceof java.util.Date) return ((java.util.Date) v).getTime(); // epoch ms, as Jackson writes dates
        if (path.put(v, Boolean.TRUE) != null) throw new MappingException("the result refers to itself (" + v.getClass().getName() + ")");
        try {
            if (v instanceof Map) {
                Map<String, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) out.put(String.valueOf(e.getKey()), toPlain(e.getValue(), path, depth + 1));
                return out;
            }
            if (v instanceof Iterable) {
                List<Object> out = new ArrayList<>();
                for (Object o : (Iterable<?>) v) out.add(toPlain(o, path, depth + 1));
                return out;
            }
            if (v.getClass().isArray()) {
                List<Object> out = new ArrayList<>();
                for (int k = 0, n = Array.getLength(v); k < n; k++) out.add(toPlain(Array.get(v, k), path, depth + 1));
                return out;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            Class<?> c = v.getClass();
            try {
                if (c.isRecord()) {
                    for (RecordComponent rc : c.getRecordComponents()) {
                        Method acc = rc.getAccessor();
                        acc.setAccessible(true);
                        out.put(rc.getName(), toPlain(acc.invoke(v), path, depth + 1));
                    }
                    return out;
                }
                for (Map.Entry<String, java.lang.reflect.AccessibleObject> p : properties(c).entrySet()) {
                    java.lang.reflect.AccessibleObject a = p.getValue();
                    Object value = a instanceof Method ? ((Method) a).invoke(v) : ((Field) a).get(v);
                    out.put(p.getKey(), toPlain(value, path, depth + 1));
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                if (e instanceof MappingException) throw (MappingException) e;
                throw new MappingException("cannot read " + c.getName() + ": " + rootMessage(e));
            }
            return out;
        } finally {
            path.remove(v);
        }
    }

    private static final Map<Class<?>, Map<String, java.lang.reflect.AccessibleObject>> PROPERTIES = new ConcurrentHashMap<>();

    /**
     * Readable properties by name, getters preferred to public fields of the same name: in the order
     * the class (superclasses first) declares its fields, then the rest by name, as Jackson writes them.
     */
    private static Map<String, java.lang.reflect.AccessibleObject> properties(Class<?> c) {
        return PROPERTIES.computeIfAbsent(c, k -> {
            Map<String, java.lang.reflect.AccessibleObject> found = new TreeMap<>();
            for (Field f : k.getFields()) {
                if (Modifier.isStatic(f.getModifiers())) continue;
                f.setAccessible(true);
                found.put(f.getName(), f);
            }
            for (Method m : k.getMethods()) {
                String prop = propertyOf(m);
                if (prop != null && !(found.get(prop) instanceof Method)) {
                    m.setAccessible(true);
                    found.put(prop, m);
                }
            }
            List<Class<?>> chain = new ArrayList<>();
            for (Class<?> x = k; x != null && x != Object.class; x = x.getSuperclass()) chain.add(0, x);
            Map<String, java.lang.reflect.AccessibleObject> ordered = new LinkedHashMap<>();
            for (Class<?> x : chain) {
                for (Field f : x.getDeclaredFields()) {
                    java.lang.reflect.AccessibleObject a = found.remove(f.getName());
                    if (a != null) ordered.put(f.getName(), a);
                }
            }
            ordered.putAll(found);
            return ordered;
        });
    }

    /** "name" for a public getName()/isName() getter, as bean properties are named; null otherwise. */
    private static String propertyOf(Method m) {
        if (Modifier.isStatic(m.getModifiers()) || m.getParameterCount() != 0 || m.getDeclaringClass() == Object.class) return null;
        String n = m.getName();
        String base;
        if (n.startsWith("get") && n.length() > 3 && m.getReturnType() != void.class) base = n.substring(3);
        else if (n.startsWith("is") && n.length() > 2 && (m.getReturnType() == boolean.class || m.getReturnType() == Boolean.class)) base = n.substring(2);
        else return null;
        if (base.length() > 1 && Character.isUpperCase(base.charAt(1))) return base; // "URL" stays "URL" (java.beans rule)
        return Character.toLowerCase(base.charAt(0)) + base.substring(1);
    }
}
