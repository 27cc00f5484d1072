"""What every paginated result says about its neighbours, for the pager of pages and APIs."""


class PageNeighbours:
    """For a result holding its page `number` (from 1) and `num_pages`."""

    number: int
    num_pages: int

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1
