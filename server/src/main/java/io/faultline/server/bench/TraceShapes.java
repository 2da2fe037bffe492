/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A pool of realistic trace shapes of an online shop: seven services calling each other over HTTP,
 * PostgreSQL, Redis and Kafka, three to six levels deep, about ten attributes per span with the
 * OpenTelemetry semantic-convention keys, events on some spans and errors on about 2% of them.
 *
 * <p>Built once from a seed, so the same seed gives the same shapes; the load generator then only
 * varies ids, timestamps and per-trace values, which keeps generation cheap enough that a benchmark
 * measures the server and not the generator.
 */
final class TraceShapes {
  static final double ERROR_RATE = 0.02;
  static final double EVENT_RATE = 0.12;
  private static final int MAX_SPANS_PER_TRACE = 40;

  static final List<String> SERVICES =
      List.of("gateway", "orders", "inventory", "payments", "users", "shipping", "notifications");

  private static final Map<String, List<String>> ROUTES =
      Map.of(
          "gateway",
          List.of(
              "GET /api/orders/{id}",
              "POST /api/checkout",
              "GET /api/products",
              "GET /api/users/{id}",
              "GET /api/cart",
              "POST /api/orders/{id}/cancel"),
          "orders",
          List.of("GET /orders/{id}", "POST /orders", "GET /orders", "POST /orders/{id}/cancel"),
          "inventory",
          List.of(
              "GET /inventory/{sku}",
              "POST /inventory/reserve",
              "GET /products",
              "POST /inventory/release"),
          "payments",
          List.of("POST /payments/charge", "POST /payments/refund", "GET /payments/{id}"),
          "users",
          List.of("GET /users/{id}", "GET /users/{id}/addresses", "GET /users/{id}/preferences"),
          "shipping",
          List.of("POST /shipments", "GET /shipments/{id}/quote", "GET /shipments/{id}"),
          "notifications",
          List.of("POST /notifications/email", "POST /notifications/sms"));

  private static final Map<String, List<String>> CALLS =
      Map.of(
          "gateway", List.of("orders", "inventory", "users", "shipping"),
          "orders", List.of("inventory", "payments", "users", "shipping"),
          "inventory", List.of(),
          "payments", List.of("users"),
          "users", List.of(),
          "shipping", List.of("inventory"),
          "notifications", List.of("users"));

  private static final Map<String, List<String>> TABLES =
      Map.of(
          "orders", List.of("orders", "order_items", "order_events"),
          "inventory", List.of("stock", "products", "reservations"),
          "payments", List.of("charges", "refunds"),
          "users", List.of("users", "addresses", "preferences"),
          "shipping", List.of("shipments", "carriers"),
          "notifications", List.of("notification_log"),
          "gateway", List.of("sessions"));

  private static final Set<String> USES_REDIS = Set.of("gateway", "inventory", "users");
  private static final Set<String> PUBLISHES = Set.of("orders", "shipping", "payments");
  private static final Map<String, String> EXTERNAL =
      Map.of("payments", "api.stripe.com", "shipping", "api.ups.com");

  private static final int SCOPE_HTTP_SERVER = 0;
  private static final int SCOPE_HTTP_CLIENT = 1;
  private static final int SCOPE_JDBC = 2;
  private static final int SCOPE_REDIS = 3;
  private static final int SCOPE_KAFKA = 4;
  private static final int SCOPE_APP = 5;
  private static final int INSTANCES_PER_SERVICE = 2;

  private final List<Resource> resources;
  private final List<String> resourceServices;
  private final List<InstrumentationScope> scopes;
  private final List<TraceTemplate> traces;

  private TraceShapes(
      List<Resource> resources,
      List<String> resourceServices,
      List<InstrumentationScope> scopes,
      List<TraceTemplate> traces) {
    this.resources = resources;
    this.resourceServices = resourceServices;
    this.scopes = scopes;
    this.traces = traces;
  }

  /** {@code count} trace shapes drawn from {@code seed}. */
  static TraceShapes generate(long seed, int count) {
    if (count < 1) {
      throw new IllegalArgumentException("need at least one trace shape, got " + count);
    }
    SplittableRandom random = new SplittableRandom(seed);
    List<Resource> resources = new ArrayList<>();
    List<String> resourceServices = new ArrayList<>();
    for (String service : SERVICES) {
      for (int instance = 0; instance < INSTANCES_PER_SERVICE; instance++) {
        resources.add(resource(service, instance, random));
        resourceServices.add(service);
      }
    }
    List<InstrumentationScope> scopes =
        List.of(
            scope("io.opentelemetry.spring-webmvc-6.0", "2.10.0-alpha"),
            scope("io.opentelemetry.java-http-client", "2.10.0-alpha"),
            scope("io.opentelemetry.jdbc", "2.10.0-alpha"),
            scope("io.opentelemetry.lettuce-5.1", "2.10.0-alpha"),
            scope("io.opentelemetry.kafka-clients-2.6", "2.10.0-alpha"),
            scope("shop.app", "1.4.2"));
    List<TraceTemplate> traces = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      traces.add(new Builder(random).build());
    }
    return new TraceShapes(
        List.copyOf(resources), List.copyOf(resourceServices), scopes, List.copyOf(traces));
  }

  List<Resource> resources() {
    return resources;
  }

  /** The {@code service.name} of each resource, by resource index. */
  String serviceOf(int resource) {
    return resourceServices.get(resource);
  }

  List<InstrumentationScope> scopes() {
    return scopes;
  }

  List<TraceTemplate> traces() {
    return traces;
  }

  double meanSpansPerTrace() {
    return traces.stream().mapToInt(t -> t.spans().size()).average().orElse(1);
  }

  private static Resource resource(String service, int instance, SplittableRandom random) {
    String instanceId = service + "-" + Long.toHexString(random.nextLong() & 0xffffffffffL);
    return Resource.newBuilder()
        .addAttributes(str("service.name", service))
        .addAttributes(str("service.namespace", "shop"))
        .addAttributes(str("service.version", "1." + random.nextInt(20) + "." + random.nextInt(9)))
        .addAttributes(str("service.instance.id", instanceId))
        .addAttributes(str("host.name", "ip-10-0-" + random.nextInt(255) + "-" + instance))
        .addAttributes(num("process.pid", 1 + random.nextInt(32000)))
        .addAttributes(str("process.runtime.name", "OpenJDK Runtime Environment"))
        .addAttributes(str("process.runtime.version", "17.0.15+6"))
        .addAttributes(str("telemetry.sdk.name", "opentelemetry"))
        .addAttributes(str("telemetry.sdk.language", "java"))
        .addAttributes(str("telemetry.sdk.version", "1.44.1"))
        .addAttributes(str("deployment.environment", "production"))
        .build();
  }

  private static InstrumentationScope scope(String name, String version) {
    return InstrumentationScope.newBuilder().setName(name).setVersion(version).build();
  }

  static KeyValue str(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  static KeyValue num(String key, long value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setIntValue(value))
        .build();
  }

  static KeyValue bool(String key, boolean value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setBoolValue(value))
        .build();
  }

  static KeyValue dbl(String key, double value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setDoubleValue(value))
        .build();
  }

  /** Builds one trace shape; spans are appended parent first. */
  private static final class Builder {
    private final SplittableRandom random;
    private final List<SpanTemplate> spans = new ArrayList<>();
    private final Map<String, Integer> instances = new HashMap<>();
    private final int maxDepth;

    Builder(SplittableRandom random) {
      this.random = random;
      this.maxDepth = 3 + random.nextInt(4);
    }

    TraceTemplate build() {
      String route = pick(ROUTES.get("gateway"));
      // log-normal-ish root durations: mostly tens of milliseconds, a tail into seconds
      long duration = (long) (Math.exp(2.5 + random.nextDouble() * 3.5) * 1_000_000L);
      Set<String> path = new HashSet<>();
      path.add("gateway");
      server(-1, "gateway", route, 0, duration, 1, path);
      return new TraceTemplate(spans);
    }

    private void server(
        int parent,
        String service,
        String route,
        long start,
        long duration,
        int depth,
        Set<String> path) {
      boolean error = random.nextDouble() < ERROR_RATE;
      String method = route.substring(0, route.indexOf(' '));
      String target = route.substring(route.indexOf(' ') + 1);
      int status =
          error ? 500 : random.nextDouble() < 0.03 ? 404 : method.equals("POST") ? 201 : 200;
      List<KeyValue> attrs = new ArrayList<>(12);
      attrs.add(str("http.method", method));
      attrs.add(str("http.route", target));
      attrs.add(
          str(
              "http.target",
              target
                  .replace("{id}", Integer.toString(random.nextInt(99999)))
                  .replace("{sku}", "SKU-" + random.nextInt(5000))));
      attrs.add(str("http.scheme", "http"));
      attrs.add(num("http.status_code", status));
      attrs.add(str("net.host.name", service + ".shop.svc.cluster.local"));
      attrs.add(num("net.host.port", 8080));
      attrs.add(str("user_agent.original", pick(USER_AGENTS)));
      attrs.add(str("thread.name", "http-nio-8080-exec-" + (1 + random.nextInt(200))));
      int userIdAt = attrs.size();
      attrs.add(str("user.id", ""));
      int self =
          add(
              parent,
              service,
              SCOPE_HTTP_SERVER,
              route,
              SpanKind.SPAN_KIND_SERVER,
              start,
              duration,
              attrs,
              userIdAt,
              -1,
              error,
              null);
      children(self, service, start, duration, depth, path);
    }

    private void children(
        int self, String service, long start, long duration, int depth, Set<String> path) {
      if (depth >= maxDepth) {
        return;
      }
      int count = 1 + random.nextInt(3);
      long slot = duration / (count + 1);
      long cursor = start + slot / 4;
      for (int i = 0; i < count && spans.size() < MAX_SPANS_PER_TRACE; i++) {
        long childStart = cursor + (long) (random.nextDouble() * slot * 0.1);
        long childDuration = Math.max(20_000, (long) (slot * (0.4 + random.nextDouble() * 0.5)));
        // a gateway always forwards to a backend: every trace is at least three spans deep
        child(self, service, childStart, childDuration, depth + 1, path, depth == 1 && i == 0);
        cursor += slot;
      }
    }

    private void child(
        int parent,
        String service,
        long start,
        long duration,
        int depth,
        Set<String> path,
        boolean call) {
      List<String> callable = CALLS.get(service).stream().filter(s -> !path.contains(s)).toList();
      double roll = random.nextDouble();
      if (!callable.isEmpty() && depth + 1 <= maxDepth && (call || roll < 0.45)) {
        String callee = pick(callable);
        String route = pick(ROUTES.get(callee));
        int client = httpClient(parent, service, callee, route, start, duration);
        Set<String> deeper = new HashSet<>(path);
        deeper.add(callee);
        long serverStart = start + duration / 20;
        server(client, callee, route, serverStart, duration - duration / 10, depth + 1, deeper);
      } else if (PUBLISHES.contains(service) && depth + 1 <= maxDepth && roll < 0.55) {
        publish(parent, service, start, duration, depth);
      } else if (EXTERNAL.containsKey(service) && roll < 0.65) {
        external(parent, service, start, duration);
      } else if (USES_REDIS.contains(service) && roll < 0.75) {
        redis(parent, service, start, Math.max(20_000, duration / 8));
      } else if (roll < 0.9 || depth >= maxDepth) {
        database(parent, service, start, duration);
      } else {
        internal(parent, service, start, duration, depth, path);
      }
    }

    private int httpClient(
        int parent, String service, String callee, String route, long start, long duration) {
      boolean error = random.nextDouble() < ERROR_RATE;
      String method = route.substring(0, route.indexOf(' '));
      String target = route.substring(route.indexOf(' ') + 1);
      List<KeyValue> attrs = new ArrayList<>(12);
      attrs.add(str("http.method", method));
      attrs.add(
          str(
              "http.url",
              "http://"
                  + callee
                  + ":8080"
                  + target
                      .replace("{id}", Integer.toString(random.nextInt(99999)))
                      .replace("{sku}", "SKU-" + random.nextInt(5000))));
      attrs.add(num("http.status_code", error ? 503 : method.equals("POST") ? 201 : 200));
      attrs.add(str("net.peer.name", callee));
      attrs.add(num("net.peer.port", 8080));
      attrs.add(str("peer.service", callee));
      attrs.add(str("http.flavor", "1.1"));
      attrs.add(num("http.response_content_length", 120 + random.nextInt(8000)));
      attrs.add(str("thread.name", "http-nio-8080-exec-" + (1 + random.nextInt(200))));
      attrs.add(num("thread.id", 30 + random.nextInt(300)));
      return add(
          parent,
          service,
          SCOPE_HTTP_CLIENT,
          method,
          SpanKind.SPAN_KIND_CLIENT,
          start,
          duration,
          attrs,
          -1,
          -1,
          error,
          callee);
    }

    private void database(int parent, String service, long start, long duration) {
      boolean error = random.nextDouble() < ERROR_RATE;
      String table = pick(TABLES.get(service));
      String operation = pick(List.of("SELECT", "SELECT", "SELECT", "INSERT", "UPDATE"));
      String statement =
          switch (operation) {
            case "SELECT" ->
                "SELECT id, status, created_at, updated_at, version FROM "
                    + table
                    + " WHERE id = ? AND tenant_id = ?";
            case "INSERT" ->
                "INSERT INTO "
                    + table
                    + " (id, tenant_id, status, payload, created_at) VALUES (?, ?, ?, ?, ?)";
            default ->
                "UPDATE "
                    + table
                    + " SET status = ?, updated_at = ?, version = version + 1"
                    + " WHERE id = ? AND version = ?";
          };
      List<KeyValue> attrs = new ArrayList<>(12);
      attrs.add(str("db.system", "postgresql"));
      attrs.add(str("db.name", service));
      attrs.add(str("db.user", service + "_app"));
      attrs.add(str("db.statement", statement));
      attrs.add(str("db.operation", operation));
      attrs.add(str("db.sql.table", table));
      attrs.add(str("net.peer.name", service + "-db.shop.svc.cluster.local"));
      attrs.add(num("net.peer.port", 5432));
      attrs.add(str("thread.name", "http-nio-8080-exec-" + (1 + random.nextInt(200))));
      int orderIdAt = attrs.size();
      attrs.add(str("order.id", ""));
      add(
          parent,
          service,
          SCOPE_JDBC,
          operation + " " + service + "." + table,
          SpanKind.SPAN_KIND_CLIENT,
          start,
          duration,
          attrs,
          -1,
          orderIdAt,
          error,
          "postgresql");
    }

    private void redis(int parent, String service, long start, long duration) {
      String command = pick(List.of("GET", "GET", "SET", "HGETALL", "EXPIRE"));
      boolean hit = random.nextDouble() < 0.8;
      List<KeyValue> attrs = new ArrayList<>(12);
      attrs.add(str("db.system", "redis"));
      attrs.add(str("db.statement", command + " " + service + ":cache:?"));
      attrs.add(str("db.operation", command));
      attrs.add(num("db.redis.database_index", 0));
      attrs.add(str("net.peer.name", "redis.shop.svc.cluster.local"));
      attrs.add(num("net.peer.port", 6379));
      attrs.add(bool("cache.hit", hit));
      attrs.add(str("thread.name", "lettuce-nioEventLoop-4-" + (1 + random.nextInt(4))));
      attrs.add(num("thread.id", 30 + random.nextInt(300)));
      int userIdAt = attrs.size();
      attrs.add(str("user.id", ""));
      add(
          parent,
          service,
          SCOPE_REDIS,
          command,
          SpanKind.SPAN_KIND_CLIENT,
          start,
          duration,
          attrs,
          userIdAt,
          -1,
          random.nextDouble() < ERROR_RATE,
          "redis");
    }

    private void external(int parent, String service, long start, long duration) {
      boolean error = random.nextDouble() < ERROR_RATE * 2;
      String host = EXTERNAL.get(service);
      List<KeyValue> attrs = new ArrayList<>(12);
      attrs.add(str("http.method", "POST"));
      attrs.add(
          str(
              "http.url",
              "https://" + host + "/v1/" + (service.equals("payments") ? "charges" : "rates")));
      attrs.add(num("http.status_code", error ? 502 : 200));
      attrs.add(str("net.peer.name", host));
      attrs.add(num("net.peer.port", 443));
      attrs.add(str("peer.service", host));
      attrs.add(str("http.flavor", "2.0"));
      attrs.add(num("http.response_content_length", 300 + random.nextInt(3000)));
      attrs.add(dbl("http.client.retry_backoff_ms", Math.round(random.nextDouble() * 5000) / 10.0));
      int orderIdAt = attrs.size();
      attrs.add(str("order.id", ""));
      add(
          parent,
          service,
          SCOPE_HTTP_CLIENT,
          "POST",
          SpanKind.SPAN_KIND_CLIENT,
          start,
          duration,
          attrs,
          -1,
          orderIdAt,
          error,
          host);
    }

    private void publish(int parent, String service, long start, long duration, int depth) {
      String topic = service + "." + pick(List.of("created", "updated", "completed"));
      int partition = random.nextInt(12);
      List<KeyValue> attrs = new ArrayList<>(12);
      attrs.add(str("messaging.system", "kafka"));
      attrs.add(str("messaging.destination.name", topic));
      attrs.add(str("messaging.operation", "publish"));
      attrs.add(num("messaging.kafka.destination.partition", partition));
      attrs.add(str("messaging.client_id", service + "-producer-1"));
      attrs.add(str("net.peer.name", "kafka-" + random.nextInt(3) + ".shop.svc.cluster.local"));
      attrs.add(num("net.peer.port", 9092));
      attrs.add(num("messaging.message.payload_size_bytes", 200 + random.nextInt(2000)));
      attrs.add(str("thread.name", "kafka-producer-network-thread"));
      int orderIdAt = attrs.size();
      attrs.add(str("order.id", ""));
      long publishDuration = Math.max(20_000, duration / 10);
      int producer =
          add(
              parent,
              service,
              SCOPE_KAFKA,
              topic + " publish",
              SpanKind.SPAN_KIND_PRODUCER,
              start,
              publishDuration,
              attrs,
              -1,
              orderIdAt,
              random.nextDouble() < ERROR_RATE,
              "kafka");

      List<KeyValue> consumerAttrs = new ArrayList<>(12);
      consumerAttrs.add(str("messaging.system", "kafka"));
      consumerAttrs.add(str("messaging.destination.name", topic));
      consumerAttrs.add(str("messaging.operation", "process"));
      consumerAttrs.add(num("messaging.kafka.destination.partition", partition));
      consumerAttrs.add(num("messaging.kafka.message.offset", random.nextInt(10_000_000)));
      consumerAttrs.add(str("messaging.kafka.consumer.group", "notifications"));
      consumerAttrs.add(str("messaging.client_id", "notifications-consumer-" + random.nextInt(4)));
      consumerAttrs.add(str("thread.name", "kafka-consumer-" + random.nextInt(4)));
      consumerAttrs.add(num("thread.id", 30 + random.nextInt(300)));
      int consumerOrderAt = consumerAttrs.size();
      consumerAttrs.add(str("order.id", ""));
      long consumeStart = start + publishDuration + 1_000_000L + random.nextInt(20_000_000);
      long consumeDuration = Math.max(100_000, duration / 2);
      int consumer =
          add(
              producer,
              "notifications",
              SCOPE_KAFKA,
              topic + " process",
              SpanKind.SPAN_KIND_CONSUMER,
              consumeStart,
              consumeDuration,
              consumerAttrs,
              -1,
              consumerOrderAt,
              random.nextDouble() < ERROR_RATE,
              null);
      if (depth + 2 <= maxDepth) {
        database(
            consumer, "notifications", consumeStart + consumeDuration / 10, consumeDuration / 4);
      }
    }

    private void internal(
        int parent, String service, long start, long duration, int depth, Set<String> path) {
      String name =
          pick(
              List.of(
                  "validateCart",
                  "priceItems",
                  "applyDiscounts",
                  "checkFraud",
                  "renderResponse",
                  "loadProfile"));
      List<KeyValue> attrs = new ArrayList<>(12);
      attrs.add(str("code.function", name));
      attrs.add(
          str(
              "code.namespace",
              "shop."
                  + service
                  + "."
                  + pick(
                      List.of(
                          "CheckoutService", "OrderService", "PricingService", "ProfileService"))));
      attrs.add(str("thread.name", "http-nio-8080-exec-" + (1 + random.nextInt(200))));
      attrs.add(num("thread.id", 30 + random.nextInt(300)));
      attrs.add(num("cart.items", 1 + random.nextInt(12)));
      attrs.add(dbl("cart.total", Math.round(random.nextDouble() * 50000) / 100.0));
      attrs.add(str("currency", pick(List.of("EUR", "USD", "GBP"))));
      attrs.add(bool("feature.new_pricing", random.nextBoolean()));
      int userIdAt = attrs.size();
      attrs.add(str("user.id", ""));
      int orderIdAt = attrs.size();
      attrs.add(str("order.id", ""));
      int self =
          add(
              parent,
              service,
              SCOPE_APP,
              name,
              SpanKind.SPAN_KIND_INTERNAL,
              start,
              duration,
              attrs,
              userIdAt,
              orderIdAt,
              random.nextDouble() < ERROR_RATE,
              null);
      children(self, service, start, duration, depth, path);
    }

    private int add(
        int parent,
        String service,
        int scope,
        String name,
        SpanKind kind,
        long start,
        long duration,
        List<KeyValue> attrs,
        int userIdAt,
        int orderIdAt,
        boolean error,
        String remote) {
      List<SpanTemplate.EventTemplate> events = new ArrayList<>(2);
      Status status;
      if (error) {
        String type =
            pick(
                List.of(
                    "java.net.SocketTimeoutException",
                    "org.postgresql.util.PSQLException",
                    "java.lang.IllegalStateException",
                    "io.lettuce.core.RedisCommandTimeoutException"));
        String message =
            pick(
                List.of(
                    "Read timed out",
                    "connection reset by peer",
                    "deadlock detected",
                    "Command timed out after 1 second(s)"));
        status =
            Status.newBuilder()
                .setCode(Status.StatusCode.STATUS_CODE_ERROR)
                .setMessage(type + ": " + message)
                .build();
        events.add(
            new SpanTemplate.EventTemplate(
                start + duration - 1000,
                "exception",
                List.of(
                    str("exception.type", type),
                    str("exception.message", message),
                    str(
                        "exception.stacktrace",
                        type
                            + ": "
                            + message
                            + "\n\tat shop."
                            + service
                            + ".Handler.handle(Handler.java:"
                            + (20 + random.nextInt(300))
                            + ")\n"
                            + "\tat "
                            + "org.springframework.web.servlet.FrameworkServlet.service("
                            + "FrameworkServlet.java:885)\n"
                            + "\tat java.base/java.lang.Thread.run(Thread.java:840)"),
                    bool("exception.escaped", true))));
      } else {
        status = Status.getDefaultInstance();
        if (random.nextDouble() < EVENT_RATE) {
          events.add(
              new SpanTemplate.EventTemplate(
                  start + duration / 3,
                  pick(List.of("cache.miss", "retry", "validation.passed", "lock.acquired")),
                  List.of(
                      str(
                          "detail",
                          pick(
                              List.of(
                                  "key not found",
                                  "attempt 2 of 3",
                                  "all checks passed",
                                  "waited for row lock"))),
                      num("attempt", 1 + random.nextInt(3)))));
        }
      }
      // one instance of each service serves the whole trace
      int resource =
          instances.computeIfAbsent(
              service,
              s ->
                  SERVICES.indexOf(s) * INSTANCES_PER_SERVICE
                      + random.nextInt(INSTANCES_PER_SERVICE));
      spans.add(
          new SpanTemplate(
              parent,
              resource,
              scope,
              service,
              name,
              kind,
              start,
              duration,
              List.copyOf(attrs),
              userIdAt,
              orderIdAt,
              List.copyOf(events),
              status,
              remote));
      return spans.size() - 1;
    }

    private <T> T pick(List<T> values) {
      return values.get(random.nextInt(values.size()));
    }
  }

  private static final List<String> USER_AGENTS =
      List.of(
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
              + " Chrome/120.0 Safari/537.36",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like"
              + " Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
          "shop-android/4.12.0 okhttp/4.12.0",
          "Java-http-client/17.0.15");
}
