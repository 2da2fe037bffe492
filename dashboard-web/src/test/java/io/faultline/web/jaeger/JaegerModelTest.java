/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.jaeger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.dropwizard.jackson.Jackson;
import io.faultline.core.otlp.OtlpIds;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JaegerModelTest {

  private static final ObjectMapper MAPPER = Jackson.newObjectMapper();

  static final String TRACE_ID = "5b8efff798038103d269b633813fc60c";
  static final String OTHER_TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  static final String ROOT_ID = "eee19b7ec3c1b174";
  static final String CHILD_ID = "00f067aa0ba902b7";
  static final String BACKEND_ID = "53995c3f42cd8ad8";
  static final long T0 = 1_700_000_000_123_456_789L;

  @Test
  void multiServiceTraceMapsAsJaegersTranslatorDoes() throws Exception {
    JsonNode trace = MAPPER.valueToTree(JaegerModel.toJaeger(multiServiceTrace()));

    assertThat(trace.get("traceID").asText()).isEqualTo(TRACE_ID);
    assertThat(trace.has("warnings")).isTrue();
    assertThat(trace.get("warnings").isNull()).isTrue();
    JsonNode spans = trace.get("spans");
    assertThat(spans).hasSize(5);

    JsonNode root = spans.get(0);
    assertThat(root.get("traceID").asText()).isEqualTo(TRACE_ID);
    assertThat(root.get("spanID").asText()).isEqualTo(ROOT_ID);
    assertThat(root.get("operationName").asText()).isEqualTo("GET /checkout");
    assertThat(root.get("flags").asInt()).isEqualTo(1);
    assertThat(root.get("references")).isEmpty();
    assertThat(root.get("startTime").asLong()).isEqualTo(1_700_000_000_123_456L);
    assertThat(root.get("duration").asLong()).isEqualTo(250_000L);
    assertThat(root.get("processID").asText()).isEqualTo("p1");
    assertThat(root.get("warnings").isNull()).isTrue();
    assertThat(root.has("parentSpanID")).isFalse();
    assertThat(root.has("process")).isFalse();
    assertThat(tagsAsText(root.get("tags")))
        .as("sorted by key, as Jaeger's query service sorts them")
        .containsExactly(
            "http.ok:bool:true",
            "http.route:string:/checkout",
            "http.status_code:int64:200",
            "list:string:[\"a\",1,true,0.5,null]",
            "load:float64:0.75",
            "map:string:{\"a\":\"\\u003cx\\u0026y\\u003e\",\"b\":{\"c\":[]},\"z\":-1}",
            "nothing:string:",
            "otel.dropped_attributes_count:int64:3",
            "otel.dropped_events_count:int64:1",
            "otel.dropped_links_count:int64:2",
            "otel.scope.name:string:io.opentelemetry.servlet",
            "otel.scope.version:string:2.1.0",
            "otel.status_code:string:OK",
            "raw:binary:AP8q",
            "span.kind:string:server",
            "w3c.tracestate:string:rojo=00f067aa0ba902b7");
    assertThat(root.at("/tags/2/value").isIntegralNumber()).isTrue();
    assertThat(root.at("/tags/4/value").isDouble()).isTrue();
    assertThat(root.at("/tags/0/value").isBoolean()).isTrue();

    JsonNode logs = root.get("logs");
    assertThat(logs).hasSize(2);
    assertThat(logs.at("/0/timestamp").asLong()).isEqualTo(1_700_000_000_133_456L);
    assertThat(tagsAsText(logs.at("/0/fields")))
        .containsExactly("event:string:cache miss", "cache.key:string:cart-42");
    assertThat(tagsAsText(logs.at("/1/fields")))
        .as("an attribute called event wins over the event's name")
        .containsExactly("event:string:from attribute", "level:int64:3");

    JsonNode child = spans.get(1);
    assertThat(child.has("flags")).as("zero flags are left out").isFalse();
    assertThat(child.get("references")).hasSize(2);
    assertThat(child.at("/references/0/refType").asText())
        .as("a link to the parent typed child_of keeps the parent reference first")
        .isEqualTo("CHILD_OF");
    assertThat(child.at("/references/0/traceID").asText()).isEqualTo(TRACE_ID);
    assertThat(child.at("/references/0/spanID").asText()).isEqualTo(ROOT_ID);
    assertThat(child.at("/references/1/refType").asText()).isEqualTo("FOLLOWS_FROM");
    assertThat(child.at("/references/1/traceID").asText()).isEqualTo(OTHER_TRACE_ID);
    assertThat(child.at("/references/1/spanID").asText()).isEqualTo(BACKEND_ID);
    assertThat(tagsAsText(child.get("tags")))
        .containsExactly(
            "error:bool:true",
            "otel.scope.name:string:io.opentelemetry.http-client",
            "otel.status_code:string:ERROR",
            "otel.status_description:string:connection refused",
            "peer.service:string:backend",
            "span.kind:string:client");
    assertThat(child.get("processID").asText()).isEqualTo("p1");

    JsonNode backend = spans.get(2);
    assertThat(backend.get("processID").asText()).isEqualTo("p2");
    assertThat(backend.at("/references/0/refType").asText()).isEqualTo("CHILD_OF");
    assertThat(backend.at("/references/0/spanID").asText()).isEqualTo(CHILD_ID);
    assertThat(tagsAsText(backend.get("tags")))
        .as("an internal span keeps its kind; an unset status adds no tags")
        .containsExactly("span.kind:string:internal");

    JsonNode anonymous = spans.get(3);
    assertThat(anonymous.get("processID").asText())
        .as("the same resource again shares its process id")
        .isEqualTo("p1");
    assertThat(anonymous.get("tags")).as("no scope, attributes, kind or status").isEmpty();
    assertThat(anonymous.get("duration").asLong()).as("end before start").isZero();

    JsonNode processes = trace.get("processes");
    assertThat(processes.size()).isEqualTo(3);
    assertThat(processes.at("/p1/serviceName").asText()).isEqualTo("frontend");
    assertThat(tagsAsText(processes.at("/p1/tags")))
        .containsExactly("host.name:string:web-1", "process.pid:int64:4242");
    assertThat(processes.at("/p2/serviceName").asText()).isEqualTo("backend");
    assertThat(processes.at("/p2/tags")).isEmpty();
    assertThat(processes.at("/p3/serviceName").asText())
        .as("the name the store lists and searches for a resource without service.name")
        .isEqualTo("unknown_service");
  }

  @Test
  void logFieldsPutEventFirstAndSortTheRestAndProcessTagsAreSorted() {
    Span.Builder span = span(TRACE_ID, ROOT_ID).toBuilder();
    span.addEventsBuilder()
        .setName("retry")
        .addAttributes(kv("z.last", str("1")))
        .addAttributes(kv("a.first", str("2")));
    TracesData data =
        TracesData.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .setResource(
                        Resource.newBuilder()
                            .addAttributes(kv("service.name", str("svc")))
                            .addAttributes(kv("zone", str("b")))
                            .addAttributes(kv("host.name", str("h"))))
                    .addScopeSpans(ScopeSpans.newBuilder().addSpans(span)))
            .build();

    JaegerModel.Trace trace = JaegerModel.toJaeger(data);

    assertThat(trace.spans().get(0).logs().get(0).fields())
        .extracting(JaegerModel.Tag::key)
        .containsExactly("event", "a.first", "z.last");
    assertThat(trace.processes().get("p1").tags())
        .extracting(JaegerModel.Tag::key)
        .containsExactly("host.name", "zone");
  }

  @Test
  void aLinkToTraceIdZeroIsRemovedWithJaegersWarning() {
    Span.Builder span = span(TRACE_ID, CHILD_ID).toBuilder();
    span.addLinksBuilder()
        .setTraceId(ByteString.copyFrom(new byte[16]))
        .setSpanId(ByteString.copyFrom(new byte[8]));
    span.addLinksBuilder().setSpanId(OtlpIds.spanIdByteString("00f067aa0ba902b8"));
    TracesData data =
        TracesData.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(span)))
            .build();

    JaegerModel.JaegerSpan converted = JaegerModel.toJaeger(data).spans().get(0);

    assertThat(converted.references()).isEmpty();
    assertThat(converted.warnings())
        .containsExactly(
            "Invalid span reference removed {TraceID:0000000000000000 SpanID:0000000000000000"
                + " RefType:FOLLOWS_FROM}",
            "Invalid span reference removed {TraceID:0000000000000000 SpanID:00f067aa0ba902b8"
                + " RefType:FOLLOWS_FROM}");
  }

  @Test
  void nonStringServiceNameIsShownAsTheStoreListsIt() {
    TracesData data =
        TracesData.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .setResource(
                        Resource.newBuilder()
                            .addAttributes(
                                kv("service.name", AnyValue.newBuilder().setIntValue(42).build())))
                    .addScopeSpans(ScopeSpans.newBuilder().addSpans(span(TRACE_ID, ROOT_ID))))
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .setResource(Resource.newBuilder().addAttributes(kv("service.name", str(""))))
                    .addScopeSpans(ScopeSpans.newBuilder().addSpans(span(TRACE_ID, CHILD_ID))))
            .build();

    JaegerModel.Trace trace = JaegerModel.toJaeger(data);

    assertThat(trace.processes().get("p1").serviceName()).isEqualTo("42");
    assertThat(trace.processes().get("p1").tags()).isEmpty();
    assertThat(trace.processes().get("p2").serviceName()).isEqualTo("unknown_service");
  }

  @Test
  void serviceWithoutNameButWithAttributesIsUnknownService() {
    TracesData data =
        TracesData.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .setResource(Resource.newBuilder().addAttributes(kv("host.name", str("h"))))
                    .addScopeSpans(ScopeSpans.newBuilder().addSpans(span(TRACE_ID, ROOT_ID))))
            .build();

    JaegerModel.Trace trace = JaegerModel.toJaeger(data);

    assertThat(trace.processes().get("p1").serviceName()).isEqualTo("unknown_service");
    assertThat(trace.processes().get("p1").tags())
        .containsExactly(new JaegerModel.Tag("host.name", "string", "h"));
  }

  @Test
  void traceIdWithZeroHighBytesIsWrittenWith16Characters() {
    TracesData data =
        TracesData.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .addScopeSpans(
                        ScopeSpans.newBuilder()
                            .addSpans(span("0000000000000000" + "8448eb211c80319c", ROOT_ID))))
            .build();

    JaegerModel.Trace trace = JaegerModel.toJaeger(data);

    assertThat(trace.traceID()).isEqualTo("8448eb211c80319c");
    assertThat(trace.spans().get(0).traceID()).isEqualTo("8448eb211c80319c");
  }

  @Test
  void emptyDataGivesAnEmptyTrace() {
    JaegerModel.Trace trace = JaegerModel.toJaeger(TracesData.getDefaultInstance());

    assertThat(trace.traceID()).isEmpty();
    assertThat(trace.spans()).isEmpty();
    assertThat(trace.processes()).isEmpty();
  }

  @Test
  void parsesTraceIdsAsJaegerDoes() {
    assertThat(OtlpIds.toHex(JaegerModel.parseTraceId(TRACE_ID))).isEqualTo(TRACE_ID);
    assertThat(OtlpIds.toHex(JaegerModel.parseTraceId("8448EB211C80319C")))
        .isEqualTo("00000000000000008448eb211c80319c");
    assertThat(OtlpIds.toHex(JaegerModel.parseTraceId("1")))
        .isEqualTo("00000000000000000000000000000001");
    assertThatThrownBy(() -> JaegerModel.parseTraceId(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> JaegerModel.parseTraceId(TRACE_ID + "0"))
        .hasMessage("trace id cannot be longer than 32 hex characters, got 33");
    assertThatThrownBy(() -> JaegerModel.parseTraceId("xyz"))
        .hasMessageContaining("trace id xyz is not hex");
  }

  @Test
  void goJsonMatchesGoEncoding() {
    assertThat(GoJson.write(array(dbl(1.0), dbl(0.1), dbl(1e21), dbl(1e-7), dbl(-2.5e-10))))
        .isEqualTo("[1,0.1,1e+21,1e-7,-2.5e-10]");
    assertThat(GoJson.write(array(dbl(123456789.0), dbl(1e20), dbl(0.000001), dbl(-0.0))))
        .isEqualTo("[123456789,100000000000000000000,0.000001,-0]");
    assertThat(GoJson.write(array(str("tab\tquote\"back\\slash\u0001\u2028"))))
        .isEqualTo("[\"tab\\tquote\\\"back\\\\slash\\u0001\\u2028\"]");
    assertThat(
            GoJson.write(
                AnyValue.newBuilder()
                    .setKvlistValue(
                        KeyValueList.newBuilder()
                            .addValues(kv("b", str("first")))
                            .addValues(kv("B", str("upper")))
                            .addValues(kv("b", str("last wins"))))
                    .build()))
        .isEqualTo("{\"B\":\"upper\",\"b\":\"last wins\"}");
    assertThat(
            GoJson.write(
                array(
                    AnyValue.newBuilder()
                        .setBytesValue(ByteString.copyFrom(new byte[] {1, 2, 3}))
                        .build(),
                    AnyValue.newBuilder().setBytesValue(ByteString.EMPTY).build())))
        .isEqualTo("[\"AQID\",null]");
  }

  private static List<String> tagsAsText(JsonNode tags) {
    List<String> out = new ArrayList<>();
    for (JsonNode tag : tags) {
      out.add(
          tag.get("key").asText()
              + ":"
              + tag.get("type").asText()
              + ":"
              + tag.get("value").asText());
    }
    return out;
  }

  static TracesData multiServiceTrace() {
    Resource frontend =
        Resource.newBuilder()
            .addAttributes(kv("service.name", str("frontend")))
            .addAttributes(kv("host.name", str("web-1")))
            .addAttributes(kv("process.pid", AnyValue.newBuilder().setIntValue(4242).build()))
            .build();
    Span root =
        span(TRACE_ID, ROOT_ID).toBuilder()
            .setName("GET /checkout")
            .setKind(Span.SpanKind.SPAN_KIND_SERVER)
            .setFlags(0x101)
            .setTraceState("rojo=00f067aa0ba902b7")
            .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_OK))
            .addAttributes(kv("http.route", str("/checkout")))
            .addAttributes(kv("http.ok", AnyValue.newBuilder().setBoolValue(true).build()))
            .addAttributes(kv("http.status_code", AnyValue.newBuilder().setIntValue(200).build()))
            .addAttributes(kv("load", dbl(0.75)))
            .addAttributes(
                kv(
                    "raw",
                    AnyValue.newBuilder()
                        .setBytesValue(ByteString.copyFrom(new byte[] {0, -1, 42}))
                        .build()))
            .addAttributes(
                kv(
                    "list",
                    array(
                        str("a"),
                        AnyValue.newBuilder().setIntValue(1).build(),
                        AnyValue.newBuilder().setBoolValue(true).build(),
                        dbl(0.5),
                        AnyValue.getDefaultInstance())))
            .addAttributes(
                kv(
                    "map",
                    AnyValue.newBuilder()
                        .setKvlistValue(
                            KeyValueList.newBuilder()
                                .addValues(kv("z", AnyValue.newBuilder().setIntValue(-1).build()))
                                .addValues(kv("a", str("<x&y>")))
                                .addValues(
                                    kv(
                                        "b",
                                        AnyValue.newBuilder()
                                            .setKvlistValue(
                                                KeyValueList.newBuilder()
                                                    .addValues(kv("c", array())))
                                            .build())))
                        .build()))
            .addAttributes(kv("nothing", AnyValue.getDefaultInstance()))
            .setDroppedAttributesCount(3)
            .setDroppedEventsCount(1)
            .setDroppedLinksCount(2)
            .addEvents(
                Span.Event.newBuilder()
                    .setName("cache miss")
                    .setTimeUnixNano(T0 + 10_000_000)
                    .addAttributes(kv("cache.key", str("cart-42"))))
            .addEvents(
                Span.Event.newBuilder()
                    .setName("ignored name")
                    .setTimeUnixNano(T0 + 20_000_000)
                    .addAttributes(kv("event", str("from attribute")))
                    .addAttributes(kv("level", AnyValue.newBuilder().setIntValue(3).build())))
            .build();
    Span child =
        span(TRACE_ID, CHILD_ID).toBuilder()
            .setParentSpanId(OtlpIds.spanIdByteString(ROOT_ID))
            .setName("POST backend")
            .setKind(Span.SpanKind.SPAN_KIND_CLIENT)
            .setStatus(
                Status.newBuilder()
                    .setCode(Status.StatusCode.STATUS_CODE_ERROR)
                    .setMessage("connection refused"))
            .addAttributes(kv("peer.service", str("backend")))
            .addLinks(
                Span.Link.newBuilder()
                    .setTraceId(OtlpIds.traceIdByteString(TRACE_ID))
                    .setSpanId(OtlpIds.spanIdByteString(ROOT_ID))
                    .addAttributes(kv("opentracing.ref_type", str("child_of"))))
            .addLinks(
                Span.Link.newBuilder()
                    .setTraceId(OtlpIds.traceIdByteString(OTHER_TRACE_ID))
                    .setSpanId(OtlpIds.spanIdByteString(BACKEND_ID)))
            .build();
    Span backend =
        span(TRACE_ID, BACKEND_ID).toBuilder()
            .setParentSpanId(OtlpIds.spanIdByteString(CHILD_ID))
            .setName("handle")
            .setKind(Span.SpanKind.SPAN_KIND_INTERNAL)
            .build();
    Span anonymous =
        span(TRACE_ID, "1111111111111111").toBuilder()
            .setName("orphan")
            .setEndTimeUnixNano(T0 - 1)
            .build();
    return TracesData.newBuilder()
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .setResource(frontend)
                .addScopeSpans(
                    ScopeSpans.newBuilder()
                        .setScope(
                            InstrumentationScope.newBuilder()
                                .setName("io.opentelemetry.servlet")
                                .setVersion("2.1.0"))
                        .addSpans(root))
                .addScopeSpans(
                    ScopeSpans.newBuilder()
                        .setScope(
                            InstrumentationScope.newBuilder()
                                .setName("io.opentelemetry.http-client"))
                        .addSpans(child)))
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .setResource(
                    Resource.newBuilder().addAttributes(kv("service.name", str("backend"))))
                .addScopeSpans(ScopeSpans.newBuilder().addSpans(backend)))
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .setResource(frontend)
                .addScopeSpans(ScopeSpans.newBuilder().addSpans(anonymous)))
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .addScopeSpans(
                    ScopeSpans.newBuilder().addSpans(span(TRACE_ID, "2222222222222222"))))
        .build();
  }

  static Span span(String traceId, String spanId) {
    return Span.newBuilder()
        .setTraceId(OtlpIds.traceIdByteString(traceId))
        .setSpanId(OtlpIds.spanIdByteString(spanId))
        .setName("span " + spanId)
        .setStartTimeUnixNano(T0)
        .setEndTimeUnixNano(T0 + 250_000_000)
        .build();
  }

  static KeyValue kv(String key, AnyValue value) {
    return KeyValue.newBuilder().setKey(key).setValue(value).build();
  }

  static AnyValue str(String s) {
    return AnyValue.newBuilder().setStringValue(s).build();
  }

  static AnyValue dbl(double d) {
    return AnyValue.newBuilder().setDoubleValue(d).build();
  }

  static AnyValue array(AnyValue... values) {
    return AnyValue.newBuilder()
        .setArrayValue(ArrayValue.newBuilder().addAllValues(List.of(values)))
        .build();
  }
}
