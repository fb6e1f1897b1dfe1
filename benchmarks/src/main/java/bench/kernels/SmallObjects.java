package bench.kernels;

import java.util.function.LongSupplier;

/** Builds a linked list of 1000 small nodes and sums it. */
public final class SmallObjects implements LongSupplier {
    private static final int NODES = 1000;

    @Override
    public long getAsLong() {
        Node head = null;
        for (int i = 0; i < NODES; i++) {
            head = new Node(i, head);
        }
        long sum = 0;
        for (Node n = head; n != null; n = n.next) {
            sum += n.value;
        }
        return sum;
    }

    /** One list cell. */
    private static final class Node {
        final int value;
        final Node next;

        Node(int value, Node next) {
            this.value = value;
            this.next = next;
        }
    }
}
