/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.resources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.otlp.OtlpIds;
import io.faultline.core.otlp.OtlpJson;
import io.faultline.trace.LuceneTraceStore;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.proto.trace.v1.TracesData;
import jakarta.ws.rs.client.WebTarget;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The Jaeger API over a real {@link LuceneTraceStore} in a temporary folder. */
@ExtendWith(DropwizardExtensionsSupport.class)
class JaegerQueryResourceTest {

  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** frontend GET /checkout (250 ms) -> frontend POST /pay -> backend charge (error, 500). */
  private static final String CHECKOUT = "5b8efff798038103d269b633813fc60c";

  /** frontend GET /home (20 ms), newer than CHECKOUT. */
  private static final String HOME = "0af7651916cd43dd8448eb211c80319c";

  /** backend charge three days ago; its high 8 bytes are zero. */
  private static final String OLD = "00000000000000008448eb211c80319c";

  private static final String UNKNOWN = "ffffffffffffffffffffffffffffffff";

  // Every test only reads, so one store and one Jersey serve them all.
  @TempDir static Path dataDir;
  private static LuceneTraceStore store;

  // DropwizardExtensionsSupport starts it before all tests, after @TempDir is set.
  static final ResourceExtension resources =
      ResourceExtension.builder()
          .addResource(() -> new JaegerQueryResource(openSeededStore().queries(), CLOCK))
          .build();

  @AfterAll
  static void closeStore() throws IOException {
    if (store != null) {
      store.close();
    }
  }

  @Test
  void listsServices() {
    JsonNode body = get(resources.target("/api/services"), 200);

    assertThat(body.get("data"))
        .extracting(JsonNode::asText)
        .containsExactly("backend", "frontend");
    assertThat(body.get("total").asInt()).isEqualTo(2);
    assertThat(body.get("limit").asInt()).isZero();
    assertThat(body.get("offset").asInt()).isZero();
    assertThat(body.get("errors").isNull()).isTrue();
  }

  @Test
  void listsOperationNamesOfAService() {
    JsonNode body = get(resources.target("/api/services/frontend/operations"), 200);

    assertThat(body.get("data"))
        .extracting(JsonNode::asText)
        .containsExactly("GET /checkout", "GET /home", "POST /pay");
    assertThat(body.get("total").asInt()).isEqualTo(3);
  }

  @Test
  void listsOperationsWithKinds() {
    JsonNode all = get(resources.target("/api/operations").queryParam("service", "frontend"), 200);
    JsonNode servers =
        get(
            resources
                .target("/api/operations")
                .queryParam("service", "frontend")
                .queryParam("spanKind", "server"),
            200);

    assertThat(all.get("total").asInt()).isEqualTo(3);
    assertThat(servers.get("data").toString())
        .isEqualTo(
            "[{\"name\":\"GET /checkout\",\"spanKind\":\"server\"},"
                + "{\"name\":\"GET /home\",\"spanKind\":\"server\"}]");
  }

  @Test
  void operationsNeedAServiceAndAnUnknownKindHasNone() {
    assertError(resources.target("/api/operations"), 400, "parameter 'service' is required");
    JsonNode unknownKind =
        get(
            resources
                .target("/api/operations")
                .queryParam("service", "frontend")
                .queryParam("spanKind", "x"),
            200);
    assertThat(unknownKind.get("data")).isEmpty();
    assertThat(unknownKind.get("total").asInt()).isZero();
  }

  @Test
  void getsATraceById() {
    JsonNode body = get(resources.target("/api/traces/" + CHECKOUT), 200);

    assertThat(body.get("errors").isNull()).isTrue();
    JsonNode trace = body.at("/data/0");
    assertThat(trace.get("traceID").asText()).isEqualTo(CHECKOUT);
    assertThat(trace.get("spans")).hasSize(3);
    assertThat(trace.get("processes").size()).isEqualTo(2);
    List<String> services = new ArrayList<>();
    trace.get("processes").forEach(p -> services.add(p.get("serviceName").asText()));
    assertThat(services).containsExactlyInAnyOrder("frontend", "backend");
    JsonNode charge = spanNamed(trace, "charge");
    assertThat(charge.at("/references/0/refType").asText()).isEqualTo("CHILD_OF");
    assertThat(charge.at("/references/0/spanID").asText()).isEqualTo("0000000000000002");
    assertThat(charge.get("duration").asLong()).isEqualTo(80_000);
    assertThat(tagValue(charge, "error")).isEqualTo("true");
    assertThat(tagValue(charge, "otel.status_code")).isEqualTo("ERROR");
  }

  @Test
  void acceptsShortTraceIdsAsJaegerDoes() {
    JsonNode body = get(resources.target("/api/traces/8448eb211c80319c"), 200);

    assertThat(body.at("/data/0/traceID").asText()).isEqualTo("8448eb211c80319c");
    assertThat(body.at("/data/0/spans")).hasSize(1);
  }

  @Test
  void unknownTraceIs404InJaegersEnvelope() throws Exception {
    Response response = resources.target("/api/traces/" + UNKNOWN).request().get();

    assertThat(response.getStatus()).isEqualTo(404);
    assertThat(JSON.readTree(response.readEntity(String.class)))
        .isEqualTo(
            JSON.readTree(
                "{\"data\":null,\"total\":0,\"limit\":0,\"offset\":0,"
                    + "\"errors\":[{\"code\":404,\"msg\":\"trace not found\"}]}"));
  }

  @Test
  void badTraceIdIs400() {
    assertError(resources.target("/api/traces/not-hex"), 400, "trace id not-hex is not hex");
    assertError(
        resources.target("/api/traces/" + CHECKOUT + "00"),
        400,
        "trace id cannot be longer than 32 hex characters");
  }

  @Test
  void v3ReturnsTheStoredTraceAsLosslessOtlpJson() throws Exception {
    Response response = resources.target("/api/v3/traces/" + CHECKOUT).request().get();

    assertThat(response.getStatus()).isEqualTo(200);
    JsonNode body = JSON.readTree(response.readEntity(String.class));
    assertThat(body.at("/result/resourceSpans/0/scopeSpans/0/spans/0/traceId").asText())
        .isEqualTo(CHECKOUT);
    TracesData parsed =
        OtlpJson.parse(body.get("result").toString(), TracesData.getDefaultInstance());
    assertThat(parsed).isEqualTo(store.queries().trace(OtlpIds.traceIdFromHex(CHECKOUT)).get());
    assertThat(spanCount(parsed)).isEqualTo(3);

    Response missing = resources.target("/api/v3/traces/" + UNKNOWN).request().get();
    assertThat(missing.getStatus()).isEqualTo(404);
    assertThat(JSON.readTree(missing.readEntity(String.class)).at("/error/message").asText())
        .isEqualTo("trace not found");
  }

  @Test
  void v3ListsServices() {
    assertThat(get(resources.target("/api/v3/services"), 200).toString())
        .isEqualTo("{\"services\":[\"backend\",\"frontend\"]}");
  }

  @Test
  void v3ListsOperationsWithKindsUnderEitherParameterName() {
    WebTarget frontend = resources.target("/api/v3/operations").queryParam("service", "frontend");

    assertThat(get(frontend.queryParam("span_kind", "server"), 200).toString())
        .isEqualTo(
            "{\"operations\":[{\"name\":\"GET /checkout\",\"spanKind\":\"server\"},"
                + "{\"name\":\"GET /home\",\"spanKind\":\"server\"}]}");
    assertThat(get(frontend.queryParam("spanKind", "client"), 200).toString())
        .isEqualTo("{\"operations\":[{\"name\":\"POST /pay\",\"spanKind\":\"client\"}]}");
    assertThat(get(frontend, 200).get("operations"))
        .extracting(operation -> operation.get("name").asText())
        .containsExactly("GET /checkout", "GET /home", "POST /pay");
  }

  @Test
  void v3ListsNoOperationsWithoutAServiceOrOfAnUnknownKind() {
    assertThat(get(resources.target("/api/v3/operations"), 200).toString())
        .isEqualTo("{\"operations\":[]}");
    assertThat(
            get(
                    resources
                        .target("/api/v3/operations")
                        .queryParam("service", "frontend")
                        .queryParam("span_kind", "SPAN_KIND_SERVER"),
                    200)
                .toString())
        .isEqualTo("{\"operations\":[]}");
  }

  @Test
  void v3SearchAnswersTheMatchingTracesAsOneOtlpAnswer() throws Exception {
    Response response = v3Search().queryParam("query.service_name", "frontend").request().get();

    assertThat(response.getStatus()).isEqualTo(200);
    assertThat(response.getMediaType().toString()).startsWith("application/json");
    JsonNode body = JSON.readTree(response.readEntity(String.class));
    TracesData answered =
        OtlpJson.parse(body.get("result").toString(), TracesData.getDefaultInstance());
    TracesData.Builder expected = TracesData.newBuilder();
    for (String id : List.of(HOME, CHECKOUT)) {
      expected.addAllResourceSpans(
          store.queries().trace(OtlpIds.traceIdFromHex(id)).get().getResourceSpansList());
    }
    assertThat(answered).as("most recent trace first, each complete").isEqualTo(expected.build());
    assertThat(v3TraceIds(body)).containsExactly(HOME, CHECKOUT, CHECKOUT, CHECKOUT);
  }

  @Test
  void v3SearchesByEveryQueryParameter() throws Exception {
    assertThat(v3TraceIds(v3Search().queryParam("query.operation_name", "GET /home")))
        .containsOnly(HOME);
    assertThat(
            v3TraceIds(
                v3Search()
                    .queryParam("query.service_name", "frontend")
                    .queryParam("query.duration_min", "200ms")))
        .containsOnly(CHECKOUT);
    assertThat(
            v3TraceIds(
                v3Search()
                    .queryParam("query.service_name", "frontend")
                    .queryParam("query.duration_max", "0.05s")
                    .queryParam("query.duration_min", "0")))
        .containsOnly(HOME);
    assertThat(
            v3TraceIds(
                v3Search()
                    .queryParam("query.service_name", "frontend")
                    .queryParam("query.num_traces", "1")
                    .queryParam("query.raw_traces", "true")))
        .containsOnly(HOME);
    assertThat(
            v3TraceIds(
                v3Search()
                    .queryParam("query.service_name", "backend")
                    .queryParam("query.attributes", encoded("{\"http.status_code\":\"500\"}"))))
        .containsOnly(CHECKOUT);
    assertThat(
            v3TraceIds(
                resources
                    .target("/api/v3/traces")
                    .queryParam("query.serviceName", "backend")
                    .queryParam("query.service_name", "frontend")
                    .queryParam("query.startTimeMin", "2026-05-28T12:00:00Z")
                    .queryParam("query.startTimeMax", "2026-05-29T14:00:00.5+02:00")
                    .queryParam("query.searchDepth", "5")))
        .as("camelCase names, which win over snake_case ones, and any RFC 3339 offset")
        .containsOnly(OLD);
  }

  @Test
  void v3SearchWithoutMatchIsTheGateways404() throws Exception {
    Response response = v3Search().queryParam("query.service_name", "nobody").request().get();

    assertThat(response.getStatus()).isEqualTo(404);
    assertThat(response.readEntity(String.class))
        .isEqualTo("{\"error\":{\"httpCode\":404,\"message\":\"No traces found\"}}");
  }

  @Test
  void v3BadSearchParametersAre400WithTheGatewaysMessages() throws Exception {
    assertV3Error(
        v3Search("2026-05-30T12:00:00Z", null),
        "query.start_time_min and query.start_time_max are required");
    assertV3Error(
        v3Search("yesterday", "2026-06-01T12:00:00Z"),
        "malformed parameter query.start_time_min: parsing time \"yesterday\"");
    assertV3Error(
        v3Search().queryParam("query.startTimeMax", "2026-06-01T12:00Z"),
        "malformed parameter query.startTimeMax: parsing time \"2026-06-01T12:00Z\"");
    assertV3Error(
        v3Search("2026-05-30T12:00:00Z", "2026-02-30T12:00:00Z"),
        "malformed parameter query.start_time_max");
    assertV3Error(
        v3Search("2026-05-30T12:00:00Z", "2026-05-30T12:00:00Z"),
        "query.start_time_min must be before query.start_time_max");
    assertV3Error(
        v3Search().queryParam("query.duration_min", "1d"),
        "malformed parameter query.duration_min: time: unknown unit \"d\" in duration \"1d\"");
    assertV3Error(
        v3Search().queryParam("query.duration_max", "soon"),
        "malformed parameter query.duration_max: time: invalid duration \"soon\"");
    assertV3Error(
        v3Search().queryParam("query.num_traces", "ten"),
        "malformed parameter query.num_traces: strconv.ParseInt: parsing \"ten\": invalid syntax");
    assertV3Error(
        v3Search().queryParam("query.num_traces", "4294967296"),
        "malformed parameter query.num_traces: strconv.ParseInt: parsing \"4294967296\": value out"
            + " of range");
    assertV3Error(
        v3Search().queryParam("query.raw_traces", "yes"),
        "malformed parameter query.raw_traces: strconv.ParseBool: parsing \"yes\": invalid syntax");
    assertV3Error(
        v3Search().queryParam("query.attributes", encoded("{\"x\":1}")),
        "malformed parameter query.attributes: json: cannot unmarshal number into Go value of type"
            + " string");
    assertV3Error(
        v3Search().queryParam("query.attributes", encoded("[\"x\"]")),
        "malformed parameter query.attributes: json: cannot unmarshal array into Go value of type"
            + " map[string]string");
    assertV3Error(
        v3Search().queryParam("query.attributes", encoded("{oops")),
        "malformed parameter query.attributes: ");
  }

  @Test
  void searchesWithinTheDefaultLookbackOfTwoDays() {
    JsonNode body = get(search("backend"), 200);

    assertThat(traceIds(body)).containsExactly(CHECKOUT);
    assertThat(body.get("errors").isNull()).isTrue();
  }

  @Test
  void lookbackIsIgnoredAsJaegerIgnoresIt() {
    assertThat(traceIds(get(search("backend").queryParam("lookback", "7d"), 200)))
        .containsExactly(CHECKOUT);
    assertThat(traceIds(get(search("backend").queryParam("lookback", "soon"), 200)))
        .containsExactly(CHECKOUT);
  }

  @Test
  void lenientParametersAreAcceptedAsJaegerAcceptsThem() {
    assertThat(traceIds(get(search("frontend").queryParam("limit", "100000"), 200)))
        .as("a limit above the maximum is lowered to it")
        .containsExactly(HOME, CHECKOUT);
    assertThat(traceIds(get(search("frontend").queryParam("limit", "-3"), 200)))
        .as("a limit that is not positive is the default")
        .containsExactly(HOME, CHECKOUT);
    assertThat(
            get(search("frontend").queryParam("start", "20").queryParam("end", "10"), 200)
                .get("data"))
        .as("an end before the start finds nothing")
        .isEmpty();
    assertThat(traceIds(get(search("frontend").queryParam("minDuration", "-1s"), 200)))
        .as("a negative minimum keeps every span")
        .containsExactly(HOME, CHECKOUT);
    assertThat(get(search("frontend").queryParam("maxDuration", "-1s"), 200).get("data"))
        .as("a negative maximum keeps none")
        .isEmpty();
  }

  @Test
  void startAndEndInMicrosecondsWin() {
    long start = micros(NOW.minus(Duration.ofDays(4)));
    long end = micros(NOW.minus(Duration.ofDays(2)));

    JsonNode body =
        get(
            search("backend")
                .queryParam("start", start)
                .queryParam("end", end)
                .queryParam("lookback", "1h"),
            200);

    assertThat(traceIds(body)).containsExactly("8448eb211c80319c");
  }

  @Test
  void searchesByTagsInBothSyntaxes() {
    assertThat(
            traceIds(
                get(
                    search("backend").queryParam("tags", encoded("{\"http.status_code\":\"500\"}")),
                    200)))
        .containsExactly(CHECKOUT);
    assertThat(
            traceIds(
                get(
                    search("frontend")
                        .queryParam("tags", encoded("{\"http.status_code\":\"500\"}")),
                    200)))
        .as("the tag and the service must match on the same span")
        .isEmpty();
    assertThat(traceIds(get(search("frontend").queryParam("tag", "http.status_code:200"), 200)))
        .containsExactly(HOME, CHECKOUT);
    assertThat(
            traceIds(
                get(
                    search("frontend")
                        .queryParam("tag", "http.status_code:200")
                        .queryParam("tag", "http.route:/home"),
                    200)))
        .containsExactly(HOME);
  }

  @Test
  void searchesByOperationDurationAndLimit() {
    assertThat(traceIds(get(search("frontend").queryParam("operation", "GET /home"), 200)))
        .containsExactly(HOME);
    assertThat(traceIds(get(search("frontend").queryParam("minDuration", "200ms"), 200)))
        .containsExactly(CHECKOUT);
    assertThat(traceIds(get(search("frontend").queryParam("maxDuration", "0.05s"), 200)))
        .containsExactly(HOME);
    assertThat(traceIds(get(search("frontend").queryParam("limit", "1"), 200)))
        .containsExactly(HOME);
  }

  @Test
  void zeroDurationsMeanNoLimitAsInJaeger() {
    assertThat(traceIds(get(search("frontend").queryParam("minDuration", "0"), 200)))
        .containsExactly(HOME, CHECKOUT);
    assertThat(traceIds(get(search("frontend").queryParam("maxDuration", "0"), 200)))
        .containsExactly(HOME, CHECKOUT);
    assertThat(
            traceIds(
                get(
                    search("frontend")
                        .queryParam("minDuration", "200ms")
                        .queryParam("maxDuration", "0s"),
                    200)))
        .containsExactly(CHECKOUT);
  }

  @Test
  void searchesByTraceIdsReportingMissingOnes() {
    JsonNode body =
        get(
            resources
                .target("/api/traces")
                .queryParam("traceID", HOME)
                .queryParam("traceID", UNKNOWN),
            200);

    assertThat(traceIds(body)).containsExactly(HOME);
    assertThat(body.get("errors").toString())
        .isEqualTo("[{\"msg\":\"trace not found\",\"traceID\":\"" + UNKNOWN + "\"}]");
  }

  @Test
  void aMissingTraceIsNamedAsJaegerWritesItsId() {
    JsonNode body =
        get(
            resources
                .target("/api/traces")
                .queryParam("traceID", "ABC")
                .queryParam("traceID", "1" + "0".repeat(16)),
            200);

    assertThat(body.get("errors").toString())
        .isEqualTo(
            "[{\"msg\":\"trace not found\",\"traceID\":\"0000000000000abc\"},"
                + "{\"msg\":\"trace not found\",\"traceID\":\"00000000000000010000000000000000\"}]");
  }

  @Test
  void badSearchParametersAre400NamingTheParameter() {
    assertError(resources.target("/api/traces"), 400, "parameter 'service' is required");
    assertError(search("a").queryParam("limit", "ten"), 400, "param 'limit'");
    assertError(search("a").queryParam("limit", "4294967296"), 400, "param 'limit'");
    assertError(search("a").queryParam("start", "yesterday"), 400, "param 'start'");
    assertError(search("a").queryParam("end", "1.5"), 400, "param 'end'");
    assertError(search("a").queryParam("minDuration", "1d"), 400, "param 'minDuration'");
    assertError(
        search("a").queryParam("minDuration", "2s").queryParam("maxDuration", "1s"),
        400,
        "'maxDuration' should be greater than 'minDuration'");
    assertError(search("a").queryParam("tag", "novalue"), 400, "malformed 'tag' parameter");
    assertError(
        search("a").queryParam("tags", encoded("{oops")), 400, "malformed 'tags' parameter");
    assertError(search("a").queryParam("tags", encoded("[1]")), 400, "malformed 'tags' parameter");
    assertError(
        search("a").queryParam("tags", encoded("{\"x\":1}")),
        400,
        "malformed 'tags' parameter, cannot unmarshal JSON: json: cannot unmarshal number into Go"
            + " value of type string");
    assertError(
        resources.target("/api/traces").queryParam("traceID", "zz"),
        400,
        "cannot parse traceID param");
  }

  @Test
  void dependenciesCountCallsBetweenServices() {
    JsonNode body =
        get(
            resources
                .target("/api/dependencies")
                .queryParam("endTs", NOW.toEpochMilli())
                .queryParam("lookback", Duration.ofHours(1).toMillis()),
            200);

    assertThat(body.get("data").toString())
        .isEqualTo("[{\"parent\":\"frontend\",\"child\":\"backend\",\"callCount\":1}]");

    JsonNode defaults = get(resources.target("/api/dependencies"), 200);
    assertThat(defaults.get("data")).hasSize(1);

    JsonNode elsewhere =
        get(resources.target("/api/dependencies").queryParam("service", "nobody"), 200);
    assertThat(elsewhere.get("data")).isEmpty();

    assertError(resources.target("/api/dependencies").queryParam("endTs", "now"), 400, "endTs");
    assertError(
        resources.target("/api/dependencies").queryParam("lookback", "-5"), 400, "lookback");
    // windows beyond the store's microseconds were a 500 (long overflow)
    assertError(
        resources.target("/api/dependencies").queryParam("endTs", Long.MAX_VALUE),
        400,
        "unable to parse param 'endTs': the window of 86400000 ms before 9223372036854775807 is"
            + " outside the range of microsecond timestamps");
    assertError(
        resources.target("/api/dependencies").queryParam("endTs", Long.MIN_VALUE), 400, "endTs");
    assertError(
        resources.target("/api/dependencies").queryParam("lookback", Long.MAX_VALUE), 400, "endTs");
  }

  /** Braces are URI template syntax to the JAX-RS client, so JSON goes in percent-encoded. */
  private static String encoded(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static WebTarget search(String service) {
    return resources.target("/api/traces").queryParam("service", service);
  }

  /** An API v3 search over the last two days. */
  private static WebTarget v3Search() {
    return v3Search("2026-05-30T12:00:00Z", "2026-06-01T12:00:00.000000001Z");
  }

  /** An API v3 search; a null time is left out. */
  private static WebTarget v3Search(String startTimeMin, String startTimeMax) {
    WebTarget target = resources.target("/api/v3/traces");
    if (startTimeMin != null) {
      target = target.queryParam("query.start_time_min", startTimeMin);
    }
    return startTimeMax == null ? target : target.queryParam("query.start_time_max", startTimeMax);
  }

  /** The trace id of every span of an API v3 answer, in order. */
  private static List<String> v3TraceIds(WebTarget target) {
    return v3TraceIds(get(target, 200));
  }

  private static List<String> v3TraceIds(JsonNode body) {
    List<String> ids = new ArrayList<>();
    for (JsonNode resourceSpans : body.at("/result/resourceSpans")) {
      for (JsonNode scopeSpans : resourceSpans.get("scopeSpans")) {
        scopeSpans.get("spans").forEach(span -> ids.add(span.get("traceId").asText()));
      }
    }
    return ids;
  }

  private static void assertV3Error(WebTarget target, String message) {
    JsonNode body = get(target, 400);
    assertThat(body.at("/error/httpCode").asInt()).isEqualTo(400);
    assertThat(body.at("/error/message").asText()).startsWith(message);
  }

  private static JsonNode get(WebTarget target, int status) {
    Response response = target.request().get();
    String body = response.readEntity(String.class);
    assertThat(response.getStatus()).as(body).isEqualTo(status);
    assertThat(response.getMediaType().toString()).startsWith("application/json");
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + body, e);
    }
  }

  private static void assertError(WebTarget target, int status, String messagePart) {
    JsonNode body = get(target, status);
    assertThat(body.get("data").isNull()).isTrue();
    assertThat(body.at("/errors/0/code").asInt()).isEqualTo(status);
    assertThat(body.at("/errors/0/msg").asText()).contains(messagePart);
  }

  private static List<String> traceIds(JsonNode body) {
    List<String> ids = new ArrayList<>();
    body.get("data").forEach(trace -> ids.add(trace.get("traceID").asText()));
    return ids;
  }

  private static JsonNode spanNamed(JsonNode trace, String name) {
    for (JsonNode span : trace.get("spans")) {
      if (span.get("operationName").asText().equals(name)) {
        return span;
      }
    }
    throw new AssertionError("no span " + name + " in " + trace);
  }

  private static String tagValue(JsonNode span, String key) {
    for (JsonNode tag : span.get("tags")) {
      if (tag.get("key").asText().equals(key)) {
        return tag.get("value").asText();
      }
    }
    return null;
  }

  private static int spanCount(TracesData data) {
    return data.getResourceSpansList().stream()
        .flatMap(rs -> rs.getScopeSpansList().stream())
        .mapToInt(ScopeSpans::getSpansCount)
        .sum();
  }

  private static long micros(Instant instant) {
    return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
  }

  private static LuceneTraceStore openSeededStore() {
    try {
      store =
          LuceneTraceStore.builder(dataDir)
              .clock(CLOCK)
              .refreshInterval(Duration.ofMillis(20))
              .build();
      store.indexer().apply(0, 1, TelemetryBatch.of(Signal.TRACES, seed()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    await()
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(10))
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                store.queries().trace(OtlpIds.traceIdFromHex(CHECKOUT)).isPresent()
                    && store.queries().trace(OtlpIds.traceIdFromHex(HOME)).isPresent()
                    && store.queries().trace(OtlpIds.traceIdFromHex(OLD)).isPresent());
    return store;
  }

  private static ExportTraceServiceRequest seed() {
    Instant checkoutStart = NOW.minus(Duration.ofMinutes(30));
    Instant homeStart = NOW.minus(Duration.ofMinutes(10));
    Instant oldStart = NOW.minus(Duration.ofDays(3));
    Span checkout =
        span(CHECKOUT, "0000000000000001", null, "GET /checkout", checkoutStart, 250)
            .setKind(Span.SpanKind.SPAN_KIND_SERVER)
            .addAttributes(intAttr("http.status_code", 200))
            .addAttributes(strAttr("http.route", "/checkout"))
            .build();
    Span pay =
        span(
                CHECKOUT,
                "0000000000000002",
                "0000000000000001",
                "POST /pay",
                checkoutStart.plusMillis(10),
                100)
            .setKind(Span.SpanKind.SPAN_KIND_CLIENT)
            .build();
    Span charge =
        span(
                CHECKOUT,
                "0000000000000003",
                "0000000000000002",
                "charge",
                checkoutStart.plusMillis(15),
                80)
            .setKind(Span.SpanKind.SPAN_KIND_SERVER)
            .setStatus(
                Status.newBuilder()
                    .setCode(Status.StatusCode.STATUS_CODE_ERROR)
                    .setMessage("card declined"))
            .addAttributes(intAttr("http.status_code", 500))
            .addEvents(
                Span.Event.newBuilder()
                    .setName("exception")
                    .setTimeUnixNano(nanos(checkoutStart.plusMillis(90)))
                    .addAttributes(strAttr("exception.type", "CardDeclined")))
            .build();
    Span home =
        span(HOME, "0000000000000004", null, "GET /home", homeStart, 20)
            .setKind(Span.SpanKind.SPAN_KIND_SERVER)
            .addAttributes(intAttr("http.status_code", 200))
            .addAttributes(strAttr("http.route", "/home"))
            .build();
    Span old =
        span(OLD, "0000000000000005", null, "charge", oldStart, 5)
            .setKind(Span.SpanKind.SPAN_KIND_SERVER)
            .build();
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(resourceSpans("frontend", checkout, pay, home))
        .addResourceSpans(resourceSpans("backend", charge, old))
        .build();
  }

  private static ResourceSpans resourceSpans(String service, Span... spans) {
    return ResourceSpans.newBuilder()
        .setResource(
            Resource.newBuilder()
                .addAttributes(strAttr("service.name", service))
                .addAttributes(strAttr("host.name", service + "-1")))
        .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(List.of(spans)))
        .build();
  }

  private static Span.Builder span(
      String traceId, String spanId, String parentId, String name, Instant start, long millis) {
    Span.Builder span =
        Span.newBuilder()
            .setTraceId(OtlpIds.traceIdByteString(traceId))
            .setSpanId(OtlpIds.spanIdByteString(spanId))
            .setName(name)
            .setStartTimeUnixNano(nanos(start))
            .setEndTimeUnixNano(nanos(start.plusMillis(millis)));
    if (parentId != null) {
      span.setParentSpanId(OtlpIds.spanIdByteString(parentId));
    }
    return span;
  }

  private static long nanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }

  private static KeyValue strAttr(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  private static KeyValue intAttr(String key, long value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setIntValue(value))
        .build();
  }
}
