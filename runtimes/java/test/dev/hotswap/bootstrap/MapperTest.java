/*
 * The bootstrap's JSON mapper (Json, Mapper) on the shapes Lambda's Java runtime maps: POJOs by
 * setter and by public field, records, nested generics, enums, arrays and sets, boxed and
 * primitive numbers, case-insensitive and unknown properties, nulls, and results written back.
 * Standard library only; run by runtimes/java/mapper.test.ts. Prints one line per failure and
 * exits 1, or prints "OK <checks> checks".
 */
package dev.hotswap.bootstrap;

import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

public final class MapperTest {
    private static int checks;
    private static final List<String> failures = new ArrayList<>();

    private static void eq(Object got, Object want, String what) {
        checks++;
        if (!Objects.equals(got, want)) failures.add(what + ": got " + got + ", want " + want);
    }

    public enum Colour { RED, GREEN }

    public record Point(int x, int y) {}

    public static class Shape {
        private String name;
        public Colour colour;
        private List<Point> points;
        private Map<String, List<Integer>> groups;
        private int sides;
        private Long big;
        private double[] weights;
        private Set<String> labels;
        private Shape inner;

        public void setName(String name) { this.name = name; }
        public String getName() { return name; }
        public void setPoints(List<Point> points) { this.points = points; }
        public List<Point> getPoints() { return points; }
        public void setGroups(Map<String, List<Integer>> groups) { this.groups = groups; }
        public Map<String, List<Integer>> getGroups() { return groups; }
        public void setSides(int sides) { this.sides = sides; }
        public int getSides() { return sides; }
        public void setBig(Long big) { this.big = big; }
        public Long getBig() { return big; }
        public void setWeights(double[] weights) { this.weights = weights; }
        public double[] getWeights() { return weights; }
        public void setLabels(Set<String> labels) { this.labels = labels; }
        public Set<String> getLabels() { return labels; }
        public void setInner(Shape inner) { this.inner = inner; }
        public Shape getInner() { return inner; }
        public boolean isClosed() { return sides > 2; }
    }

    private static Object map(String json, Type type) throws Exception {
        return Mapper.fromJson(Json.parse(json), type);
    }

    private static String mappingError(String json, Type type) {
        try {
            map(json, type);
            return null;
        } catch (Mapper.MappingException e) {
            return e.getMessage();
        } catch (Exception e) {
            return "unexpected " + e;
        }
    }

    public static void main(String[] args) throws Exception {
        Shape s = (Shape) map("{\"NAME\":\"tri\",\"colour\":\"GREEN\",\"points\":[{\"x\":1,\"y\":2},{\"X\":3,\"y\":4}],"
                + "\"groups\":{\"a\":[1,2]},\"sides\":\"3\",\"big\":9007199254740993,\"weights\":[0.5,1],"
                + "\"labels\":[\"x\",\"x\",\"y\"],\"inner\":{\"name\":\"in\"},\"unknown\":{\"deep\":[1]}}", Shape.class);
        eq(s.getName(), "tri", "a setter matched case-insensitively");
        eq(s.colour, Colour.GREEN, "an enum in a public field");
        eq(s.getPoints(), List.of(new Point(1, 2), new Point(3, 4)), "a list of records");
        eq(s.getGroups(), Map.of("a", List.of(1, 2)), "a map of lists of boxed ints");
        eq(s.getSides(), 3, "a numeric string into an int");
        eq(s.getBig(), 9007199254740993L, "a long beyond double precision");
        eq(Arrays.toString(s.getWeights()), "[0.5, 1.0]", "a primitive array");
        eq(s.getLabels(), Set.of("x", "y"), "a set");
        eq(s.getInner().getName(), "in", "a nested POJO");
        eq(s.getInner().getSides(), 0, "a missing primitive keeps its default");

        eq(map("null", Shape.class), null, "null is null");
        eq(map("\"text\"", String.class), "text", "a string");
        eq(map("12", String.class), "12", "a number into a String");
        eq(map("7", Integer.class), 7, "a boxed int");
        eq(map("2.5", BigDecimal.class), new BigDecimal("2.5"), "a BigDecimal");
        eq(map("true", boolean.class), true, "a primitive boolean");
        eq(map("{\"a\":[1,{\"b\":null}]}", Object.class), Map.of("a", Arrays.asList(1, mapOfNull())), "untyped JSON");

        eq(mappingError("{\"sides\":\"many\"}", Shape.class), "$.sides: expected a number, got a string", "a bad number names its property");
        eq(mappingError("{\"colour\":\"BLUE\"}", Shape.class), "$.colour: \"BLUE\" is not one of the values of " + Colour.class.getName(), "an unknown enum value");
        eq(mappingError("[1]", Shape.class), "$: expected an object (for " + Shape.class.getName() + "), got an array", "an array for a POJO");

        s.setWeights(new double[] {1.5});
        s.setInner(null);
        String out = Mapper.toJsonText(s);
        Map<?, ?> back = (Map<?, ?>) Json.parse(out);
        eq(back.get("name"), "tri", "a getter is written");
        eq(back.get("colour"), "GREEN", "an enum is written by name");
        eq(back.get("closed"), true, "an isX getter is written as x");
        eq(back.get("points"), List.of(Map.of("x", 1, "y", 2), Map.of("x", 3, "y", 4)), "records are written by component");
        eq(back.get("weights"), List.of(1.5), "an array is written as a list");
        eq(back.containsKey("inner") && back.get("inner") == null, true, "null properties are written as null");
        eq(out.indexOf("\"name\"") < out.indexOf("\"colour\"") && out.indexOf("\"colour\"") < out.indexOf("\"points\""), true, "properties in field order: " + out);
        eq(Mapper.toJsonText(null), "null", "a null result");
        eq(Mapper.toJsonText("a\"b\n"), "\"a\\\"b\\n\"", "a string result is JSON text");
        eq(Mapper.toJsonText(Map.of("k", List.of(1L, 2.5, 'c'))), "{\"k\":[1,2.5,\"c\"]}", "plain values");

        for (String f : failures) System.out.println("FAIL " + f);
        if (!failures.isEmpty()) {
            System.out.println(failures.size() + " of " + checks + " checks failed");
            System.exit(1);
        }
        System.out.println("OK " + checks + " checks");
    }

    private static Map<String, Object> mapOfNull() {
        Map<String, Object> m = new java.util.HashMap<>();
        m.put("b", null);
        return m;
    }
}
