"""Card number algorithms (check digits, formats, uniqueness) and /v2/cardNumber."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from capdesk.simulator import TrainingSimulator
from capdesk.simulator.cards import (
    ALGORITHMS,
    CardNumberFormat,
    CardNumberGenerator,
    CardSpaceExhausted,
    luhn_check_digit,
    luhn_valid,
    mod7_check_digit,
    mod7_valid,
    normalise_algorithm,
)
from tests.simulator.helpers import TILL2_AUTH, TILL_AUTH, card, error_codes


def test_luhn_known_values() -> None:
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert luhn_valid("4111111111111111")  # the well-known test card


def test_mod7_is_the_body_modulo_seven() -> None:
    assert mod7_check_digit("1234567") == "5"  # 1234567 = 7 * 176366 + 5
    assert mod7_valid("12345675")
    assert not mod7_valid("12345676")


def test_algorithm_names_and_short_forms() -> None:
    assert normalise_algorithm("luhn") == "LUHN_ALGO"
    assert normalise_algorithm("MOD7") == "MOD7_ALGO"
    assert normalise_algorithm("random_mod7") == "RANDOM_MOD7"
    with pytest.raises(ValueError):
        normalise_algorithm("CRC32")


@pytest.mark.parametrize(
    ("algorithm", "check"),
    [
        ("LUHN_ALGO", luhn_valid),
        ("RANDOM_LUHN", luhn_valid),
        ("MOD7_ALGO", mod7_valid),
        ("RANDOM_MOD7", mod7_valid),
        ("AUTO_INC", str.isdigit),
        ("RANDOM", str.isdigit),
    ],
)
def test_each_algorithm_gives_valid_unique_numbers_of_the_length(algorithm, check) -> None:
    generator = CardNumberGenerator(CardNumberFormat(algorithm, length=12))
    numbers = [generator.next() for _ in range(200)]
    assert len(set(numbers)) == len(numbers)
    assert all(len(n) == 12 and check(n) and n[0] != "0" for n in numbers)


def test_sequential_algorithms_count_up() -> None:
    auto = CardNumberGenerator(CardNumberFormat("AUTO_INC", length=6))
    assert [auto.next() for _ in range(3)] == ["100000", "100001", "100002"]
    luhn = CardNumberGenerator(CardNumberFormat("LUHN_ALGO", length=6))
    assert [luhn.next()[:-1] for _ in range(3)] == ["10000", "10001", "10002"]


def test_prefix_suffix_offset_as_in_capillarys_example() -> None:
    fmt = CardNumberFormat("AUTO_INC", length=12, prefix="1234", suffix="3401", offset=3000)
    generator = CardNumberGenerator(fmt)
    assert generator.next() == "123430003401"
    assert generator.next() == "123430013401"


def test_check_digit_covers_the_generated_digits_not_an_alphanumeric_prefix() -> None:
    generator = CardNumberGenerator(CardNumberFormat("LUHN_ALGO", length=12, prefix="BUK"))
    number = generator.next()
    assert len(number) == 12 and number.startswith("BUK")
    assert luhn_valid(number[3:])
    # The suffix only applies to AUTO_INC, as Capillary documents.
    mod7 = CardNumberGenerator(CardNumberFormat("MOD7_ALGO", length=8, suffix="99"))
    assert mod7_valid(mod7.next())


def test_lengths_are_checked() -> None:
    assert len(CardNumberGenerator(CardNumberFormat("RANDOM_LUHN", length=50)).next()) == 50
    with pytest.raises(ValueError):
        CardNumberFormat("LUHN_ALGO", length=51)
    with pytest.raises(ValueError):
        CardNumberFormat("LUHN_ALGO", length=3, prefix="ABC")  # no room for digits
    with pytest.raises(ValueError):
        CardNumberFormat("AUTO_INC", length=4, offset=10_000)


def test_a_full_number_space_is_reported_not_repeated() -> None:
    generator = CardNumberGenerator(CardNumberFormat("RANDOM", length=1), random.Random(7))
    assert sorted(generator.next() for _ in range(10)) == [str(d) for d in range(10)]
    with pytest.raises(CardSpaceExhausted):
        generator.next()
    sequential = CardNumberGenerator(CardNumberFormat("AUTO_INC", length=2, offset=98))
    assert [sequential.next(), sequential.next()] == ["98", "99"]
    with pytest.raises(CardSpaceExhausted):
        sequential.next()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_generator_is_unique_under_concurrency(algorithm: str) -> None:
    generator = CardNumberGenerator(CardNumberFormat(algorithm, length=8))
    barrier = threading.Barrier(6)

    def work() -> list[str]:
        barrier.wait()
        return [generator.next() for _ in range(100)]

    with ThreadPoolExecutor(6) as pool:
        numbers = [n for batch in pool.map(lambda _: work(), range(6)) for n in batch]
    assert len(numbers) == 600 == len(set(numbers))


# --- the endpoint ---------------------------------------------------------------


def test_get_and_post_both_issue_numbers_in_order(simulator) -> None:
    first = card(simulator, method="GET")
    second = card(simulator, method="POST")
    assert first.status_code == second.status_code == 200
    numbers = [first.json()["entity"], second.json()["entity"]]
    assert first.json()["warnings"] == []
    assert simulator.issued_card_numbers == numbers
    assert all(len(n) == 10 and luhn_valid(n) for n in numbers)  # default: LUHN, 10 long


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(simulator, method: str) -> None:
    response = card(simulator, method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert error_codes(response) == [405]
    assert simulator.issued_card_numbers == []


def test_till_without_enabled_source_account_gets_the_prerequisite_error(simulator) -> None:
    response = card(simulator, headers=TILL2_AUTH)
    assert response.status_code == 403
    message = response.json()["errors"][0]["message"]
    assert "CONF_CARD_NUMBER_GENERATION_ENABLED" in message
    assert "SOURCE_ACCOUNTS_EXTERNALID_ENABLED" in message
    assert response.json()["errors"][0]["status"] is False
    assert simulator.issued_card_numbers == []
    assert card(simulator, headers=TILL_AUTH).status_code == 200


def test_configured_algorithm_and_length_are_used() -> None:
    with TrainingSimulator(card_algorithm="MOD7", card_length=14, card_prefix="TR") as sim:
        number = card(sim).json()["entity"]
    assert len(number) == 14 and number.startswith("TR") and mod7_valid(number[2:])


def test_exhausted_number_space_is_a_server_error() -> None:
    with TrainingSimulator(card_algorithm="AUTO_INC", card_length=1) as sim:
        for _ in range(10):
            assert card(sim).status_code == 200
        assert card(sim).status_code == 500
        assert len(set(sim.issued_card_numbers)) == 10


def test_endpoint_numbers_are_unique_under_concurrent_requests(simulator) -> None:
    def work(_: int) -> list[str]:
        with requests.Session() as session:
            url = f"{simulator.base_url}/v2/cardNumber"
            return [
                session.get(url, headers=TILL_AUTH, timeout=5).json()["entity"] for _ in range(15)
            ]

    with ThreadPoolExecutor(6) as pool:
        numbers = [n for batch in pool.map(work, range(6)) for n in batch]
    assert len(numbers) == 90 == len(set(numbers))
    assert sorted(simulator.issued_card_numbers) == sorted(numbers)
