package dev.ringfence.samples;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds a JSON order with Jackson into this class's own POJOs, adds the computed field
 * {@code totalCents}, and answers the order serialised back as {@code application/json}.
 *
 * <p>Request body: {@code {"customer":"ada","lines":[{"sku":"A-1","quantity":2,"unitPriceCents":150}]}}.
 * Response: {@code {"customer":"ada","lines":[{"sku":"A-1","quantity":2,"unitPriceCents":150}],"totalCents":300}}
 * (properties always in that order; a {@code totalCents} sent by the caller is replaced).
 * An empty body, malformed JSON or an unknown property is answered 400 (text).
 *
 * <p>Jackson is not part of this jar: it is the handler's second jar, loaded by the same sandbox
 * class loader, so this handler proves that a library's reflection on the handler's own classes
 * works in the sandbox. Outcome: {@code OK} under {@code --timeout 2s}, {@code --cpu 500ms} and
 * {@code --alloc 64m}. The first call also pays for loading and instrumenting Jackson (outside the
 * agent, with the real instrumenter: about 0.2 s of CPU and 55 MB allocated); later calls take a
 * few ms, about 10,000 ticks and well under a megabyte.
 */
public class JsonEcho implements Handler {
    private final ObjectMapper mapper = new ObjectMapper();

    /** Creates the handler. */
    public JsonEcho() {
    }

    @Override
    public Response handle(Request request, Context context) {
        if (request.bodyLength() == 0) {
            return Response.of(400, "send a JSON order, for example "
                    + "{\"customer\":\"ada\",\"lines\":[{\"sku\":\"A-1\",\"quantity\":2,\"unitPriceCents\":150}]}");
        }
        try {
            Order order = mapper.readValue(request.body(), Order.class);
            order.setTotalCents(order.total());
            return Response.json(mapper.writeValueAsString(order));
        } catch (JsonProcessingException e) {
            return Response.of(400, "not a valid order: " + e.getOriginalMessage());
        } catch (IOException e) {
            return Response.of(400, "cannot read the body: " + e.getMessage());
        }
    }

    /** An order: who buys, and what. */
    @JsonPropertyOrder({"customer", "lines", "totalCents"})
    public static class Order {
        private String customer;
        private List<Line> lines = new ArrayList<>();
        private Long totalCents;

        /** Creates an empty order (for Jackson). */
        public Order() {
        }

        /** @return the customer's name */
        public String getCustomer() {
            return customer;
        }

        /** @param customer the customer's name */
        public void setCustomer(String customer) {
            this.customer = customer;
        }

        /** @return the order lines, never null */
        public List<Line> getLines() {
            return lines;
        }

        /** @param lines the order lines; null means none */
        public void setLines(List<Line> lines) {
            this.lines = lines == null ? new ArrayList<>() : lines;
        }

        /** @return the order's total in cents, set by the handler; null until then */
        public Long getTotalCents() {
            return totalCents;
        }

        /** @param totalCents the order's total in cents */
        public void setTotalCents(Long totalCents) {
            this.totalCents = totalCents;
        }

        /**
         * Adds up the lines. Not a bean property: Jackson ignores it.
         *
         * @return the sum of quantity times unit price over every line
         */
        public long total() {
            long sum = 0;
            for (Line line : lines) {
                sum += (long) line.getQuantity() * line.getUnitPriceCents();
            }
            return sum;
        }
    }

    /** One line of an order. */
    @JsonPropertyOrder({"sku", "quantity", "unitPriceCents"})
    public static class Line {
        private String sku;
        private int quantity;
        private long unitPriceCents;

        /** Creates an empty line (for Jackson). */
        public Line() {
        }

        /** @return the stock-keeping unit */
        public String getSku() {
            return sku;
        }

        /** @param sku the stock-keeping unit */
        public void setSku(String sku) {
            this.sku = sku;
        }

        /** @return how many */
        public int getQuantity() {
            return quantity;
        }

        /** @param quantity how many */
        public void setQuantity(int quantity) {
            this.quantity = quantity;
        }

        /** @return the price of one, in cents */
        public long getUnitPriceCents() {
            return unitPriceCents;
        }

        /** @param unitPriceCents the price of one, in cents */
        public void setUnitPriceCents(long unitPriceCents) {
            this.unitPriceCents = unitPriceCents;
        }
    }
}
