package io.rotor.strategies.builtin.internal;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Distinct elements kept sorted in a circular array: taking the first and adding after the last cost
 * O(1) and allocate nothing, other additions and removals find their place by binary search and move
 * the elements on the shorter side. Made for {@link SmoothWeightIndex}'s groups, where a pick takes
 * the first account and puts it back, nearly always after the last; a tree set allocated a node for
 * each of those moves and read entries spread over the heap on its way down. Not thread-safe.
 */
final class SortedRing<E> implements Iterable<E> {

    private final Comparator<? super E> order;
    private Object[] items = new Object[4];
    /** Index of the first element; element {@code i} is at {@code (head + i) & mask}. */
    private int head;
    private int size;

    SortedRing(Comparator<? super E> order) {
        this.order = order;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    E first() {
        if (size == 0) {
            throw new NoSuchElementException();
        }
        return get(0);
    }

    /** Adds an element not held yet; equal to none held under the comparator. */
    void add(E element) {
        if (size == items.length) {
            grow();
        }
        if (size == 0 || order.compare(get(size - 1), element) < 0) {
            items[slot(size)] = element;
            size++;
            return;
        }
        int at = insertionPoint(element);
        if (at < size - at) {
            // Shift the elements before it one place back, into the free slot before the head.
            head = (head - 1) & mask();
            for (int i = 0; i < at; i++) {
                items[slot(i)] = items[slot(i + 1)];
            }
        } else {
            for (int i = size; i > at; i--) {
                items[slot(i)] = items[slot(i - 1)];
            }
        }
        items[slot(at)] = element;
        size++;
    }

    /** Removes the element equal to {@code element} under the comparator; false if none. */
    boolean remove(E element) {
        if (size == 0) {
            return false;
        }
        if (get(0) == element) {
            // A pick's own account: found without comparing, as the first.
            items[head] = null;
            head = (head + 1) & mask();
            size--;
            return true;
        }
        int at = insertionPoint(element) - 1;
        if (at < 0 || order.compare(get(at), element) != 0) {
            return false;
        }
        if (at < size - 1 - at) {
            for (int i = at; i > 0; i--) {
                items[slot(i)] = items[slot(i - 1)];
            }
            items[head] = null;
            head = (head + 1) & mask();
        } else {
            for (int i = at; i < size - 1; i++) {
                items[slot(i)] = items[slot(i + 1)];
            }
            items[slot(size - 1)] = null;
        }
        size--;
        return true;
    }

    @Override
    public Iterator<E> iterator() {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < size;
            }

            @Override
            public E next() {
                if (next >= size) {
                    throw new NoSuchElementException();
                }
                return get(next++);
            }
        };
    }

    /** The index of the first element greater than {@code element}; {@code size} if none. */
    private int insertionPoint(E element) {
        int low = 0;
        int high = size;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (order.compare(get(middle), element) > 0) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        return low;
    }

    @SuppressWarnings("unchecked")
    private E get(int index) {
        return (E) items[slot(index)];
    }

    private int slot(int index) {
        return (head + index) & mask();
    }

    private int mask() {
        return items.length - 1;
    }

    private void grow() {
        Object[] larger = new Object[items.length * 2];
        for (int i = 0; i < size; i++) {
            larger[i] = items[slot(i)];
        }
        items = larger;
        head = 0;
    }

    @Override
    public String toString() {
        Object[] inOrder = new Object[size];
        for (int i = 0; i < size; i++) {
            inOrder[i] = get(i);
        }
        return Arrays.toString(inOrder);
    }
}
